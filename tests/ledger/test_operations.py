"""Each money operation of DESIGN §4, its rule, and what a refusal leaves behind (nothing)."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from portal.audit import SYSTEM
from portal.extensions import db
from portal.ledger import operations as ops
from portal.ledger.balance import available
from portal.ledger.errors import (
    AdminOnly,
    AlreadyReversed,
    BalanceOutOfRange,
    CreditBelowZero,
    CreditLimitOutOfRange,
    CreditRequiresPostpaid,
    IdempotencyConflict,
    ImmutablePosting,
    InsufficientFunds,
    InvalidAmount,
    ReasonRequired,
    ReturnExceedsBalance,
    VoucherInvalid,
)
from portal.ledger.holds import expire_holds, place_hold, release, settle_holds
from portal.ledger.verify import verify
from portal.ledger.vouchers import create_vouchers, redeem_voucher
from portal.models import (
    Account,
    AuditEvent,
    Cdr,
    CreditLimitEvent,
    Hold,
    LedgerAccount,
    LedgerTransaction,
    Posting,
    Provider,
    Voucher,
)
from portal.models.types import utcnow
from tests import factories
from tests.ledger.conftest import ADMIN, CLERK

D = Decimal


def state(account):
    db.session.refresh(account)
    return (account.balance, account.credit_limit,
            db.session.scalar(select(func.count()).select_from(LedgerTransaction)),
            db.session.scalar(select(func.count()).select_from(CreditLimitEvent)))


def test_worked_example_from_the_source_document(postpaid):
    """Balance −30, payment of 40 → balance 10 with the credit limit unchanged; a return of 10 → 0."""
    ops.credit(postpaid, D("100"), ADMIN)
    ops.fee(postpaid, D("30"), ADMIN, "Usage")
    assert postpaid.balance == D("-30")
    result = ops.payment(postpaid, D("40"), ADMIN)
    assert (result["balance"], result["credit_limit"]) == ("10.000000", "100.000000")
    assert ops.return_payment(postpaid, D("10"), ADMIN)["balance"] == "0.000000"
    assert verify() == []


@pytest.mark.parametrize("operation, args, error", [
    (ops.return_payment, (D("10.01"),), ReturnExceedsBalance),
    (ops.credit, (D("5"),), CreditRequiresPostpaid),
    (ops.return_credit, (D("5"),), CreditRequiresPostpaid),
    (ops.payment, (D("0"),), InvalidAmount),
    (ops.payment, (D("-1"),), InvalidAmount),
    (ops.payment, ("abc",), InvalidAmount),
    (ops.payment, (D("0.0000001"),), InvalidAmount),
    (ops.payment, (0.5,), InvalidAmount),
    (ops.payment, ("1e30",), InvalidAmount),
    (ops.payment, (D("1e15"),), InvalidAmount),
    (ops.payment, ("1_000",), InvalidAmount),
])
def test_refused_operation_on_prepaid_changes_nothing(prepaid, operation, args, error):
    ops.payment(prepaid, D("10"), ADMIN)
    db.session.commit()
    before = state(prepaid)
    with pytest.raises(error):
        operation(prepaid, *args, ADMIN)
    db.session.rollback()
    assert state(prepaid) == before


def test_return_is_refused_when_the_balance_is_negative(postpaid):
    ops.credit(postpaid, D("50"), ADMIN)
    ops.fee(postpaid, D("20"), ADMIN, "Usage")
    with pytest.raises(ReturnExceedsBalance):
        ops.return_payment(postpaid, D("1"), ADMIN)


def test_credit_and_return_credit_move_the_limit_with_an_event(postpaid):
    ops.credit(postpaid, D("100"), ADMIN, "Trusted customer")
    ops.return_credit(postpaid, D("40"), ADMIN)
    assert postpaid.credit_limit == D("60") and postpaid.balance == 0
    events = db.session.scalars(select(CreditLimitEvent).order_by(CreditLimitEvent.id)).all()
    assert [(e.type, e.limit_before, e.limit_after) for e in events] == [
        ("credit", D("0"), D("100")), ("return_credit", D("100"), D("60"))]
    assert db.session.scalar(select(func.count()).select_from(Posting)) == 0  # not money
    with pytest.raises(CreditBelowZero):
        ops.return_credit(postpaid, D("60.01"), ADMIN)


def test_adjustment_is_signed_admin_only_and_needs_a_reason(prepaid):
    with pytest.raises(AdminOnly):
        ops.adjustment(prepaid, D("5"), CLERK, "goodwill")
    with pytest.raises(ReasonRequired):
        ops.adjustment(prepaid, D("5"), ADMIN, "  ")
    ops.adjustment(prepaid, D("5"), ADMIN, "Goodwill for outage")
    ops.adjustment(prepaid, D("-1.5"), ADMIN, "Correction")
    assert prepaid.balance == D("3.5")
    tx = db.session.scalar(select(LedgerTransaction).order_by(LedgerTransaction.id.desc()))
    assert (tx.description, tx.created_by) == ("Correction", ADMIN.label)


def test_fee_with_funds_check_refuses_what_the_account_cannot_pay(prepaid):
    ops.payment(prepaid, D("1"), ADMIN)
    ops.fee(prepaid, D("1"), ADMIN, "Number rental", require_funds=True)
    with pytest.raises(InsufficientFunds):
        ops.fee(prepaid, D("0.01"), ADMIN, "Number rental", require_funds=True)
    assert prepaid.balance == 0


def _rated_cdr(account, price, cost=0, provider=None):
    cdr = Cdr(uuid=f"call-{account.code}-{factories.next_number()}", account_code=account.code,
              account_id=account.id, callee="4420", number="4420", start=utcnow(), billsec=60, status="rated",
              price=price, currency=account.currency, cost=cost, cost_currency="EUR",
              provider_id=provider.id if provider else None)
    db.session.add(cdr)
    db.session.flush()
    return cdr


def test_call_charge_always_posts_and_flags_the_account_below_its_limit(prepaid):
    carrier = Provider(name="Carrier")
    db.session.add(carrier)
    ops.payment(prepaid, D("1"), ADMIN)
    ops.charge_call(_rated_cdr(prepaid, D("1.5"), D("0.4"), carrier))
    assert prepaid.balance == D("-0.5") and prepaid.below_limit
    payable = db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == "provider_payable"))
    assert payable.provider_id == carrier.id
    assert verify() == []
    ops.payment(prepaid, D("0.5"), ADMIN)
    assert not prepaid.below_limit


def test_reversal_restores_the_balance_exactly(prepaid):
    ops.payment(prepaid, D("10"), ADMIN)
    tx = ops.charge_call(_rated_cdr(prepaid, D("0.1234")))
    reversal = ops.reverse(tx, ADMIN)
    assert prepaid.balance == D("10") and reversal.corrects_id == tx.id and reversal.type == "call_reversal"
    assert sorted(p.amount for p in reversal.postings) == sorted(-p.amount for p in tx.postings)
    assert verify() == []


def test_a_transaction_is_reversed_only_once(prepaid):
    ops.payment(prepaid, D("10"), ADMIN)
    tx = ops.charge_call(_rated_cdr(prepaid, D("0.5")))
    ops.reverse(tx, ADMIN)
    with pytest.raises(AlreadyReversed) as refused:
        ops.reverse(tx, ADMIN)
    assert refused.value.status == 409
    assert prepaid.balance == D("10") and verify() == []


def test_system_accounts_are_made_per_currency_on_first_use(app_ctx):
    eur, usd = factories.account(currency="EUR"), factories.account(currency="USD")
    ops.payment(eur, D("1"), ADMIN)
    ops.payment(usd, D("1"), ADMIN)
    keys = set(db.session.scalars(select(LedgerAccount.key).where(LedgerAccount.kind == "cash")))
    assert keys == {"cash:EUR", "cash:USD"}


def _payment(account):
    ops.payment(account, D("5"), ADMIN, "Cheque 1234")
    return {"description": "Cheque 1234", "amount": "5"}


def _return(account):
    ops.return_payment(account, D("5"), ADMIN, "Overpaid in May")
    return {"description": "Overpaid in May", "amount": "5"}


def _credit(account):
    ops.credit(account, D("5"), ADMIN, "Trusted customer")
    return {"description": "Trusted customer", "limit_before": "50.000000", "limit_after": "55.000000"}


def _return_credit(account):
    ops.return_credit(account, D("5"), ADMIN, "Late payer")
    return {"description": "Late payer", "limit_before": "50.000000", "limit_after": "45.000000"}


def _adjustment(account):
    ops.adjustment(account, D("-5"), ADMIN, "Disputed call")
    return {"reason": "Disputed call", "amount": "-5"}


def _fee(account):
    ops.fee(account, D("5"), ADMIN, "Number rental")
    return {"description": "Number rental", "amount": "5"}


def _voucher(account):
    [code] = create_vouchers(1, D("5"), account.currency)
    answer = redeem_voucher(account, code, ADMIN)
    voucher = db.session.scalar(select(Voucher).where(Voucher.transaction_id == answer["id"]))
    return {"voucher": voucher.id, "description": f"Voucher …{voucher.code_hint}"}


def _reversal(account):
    paid = db.session.get(LedgerTransaction, ops.payment(account, D("5"), SYSTEM)["id"])
    reversal = ops.reverse(paid, ADMIN, "Cheque bounced")
    return {"reversal": reversal.id, "description": "Cheque bounced"}


def _call_charge(account):
    cdr = _rated_cdr(account, D("0.25"))
    tx = ops.charge_call(cdr, ADMIN)
    return {"description": "Call to 4420", "cdr": cdr.id, "transaction": tx.id, "amount": "0.25"}


def _call_charges(account):
    cdrs = [_rated_cdr(account, D("0.25")), _rated_cdr(account, D("0.5"))]
    ops.charge_calls(cdrs, ADMIN)
    return {"count": 2, "total": "0.75", "currency": "EUR", "first_cdr": cdrs[0].id, "last_cdr": cdrs[1].id}


#: Every operation of DESIGN §4, done by ADMIN on a postpaid account with money and credit (limit 50,
#: balance 50); each answers what its audit event must say about why.
AUDITED = {"payment": _payment, "return": _return, "credit": _credit, "return_credit": _return_credit,
           "adjustment": _adjustment, "fee": _fee, "voucher": _voucher, "reverse": _reversal,
           "call_charge": _call_charge, "call_charges": _call_charges}


@pytest.mark.parametrize("action", AUDITED)
def test_every_operation_is_audited_with_who_when_and_why(postpaid, action):
    ops.credit(postpaid, D("50"), SYSTEM)
    ops.payment(postpaid, D("50"), SYSTEM)
    why = AUDITED[action](postpaid)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.actor == ADMIN.label)).all()
    assert event.action == action and event.at is not None
    detail = json.loads(event.detail)
    assert {name: detail.get(name) for name in why} == why
    if action == "reverse":
        reversed_tx = db.session.get(LedgerTransaction, int(event.object_id))
        assert (event.object_type, reversed_tx.type, reversed_tx.account_id) == (
            "ledger_transaction", "payment", postpaid.id)
    else:
        assert (event.object_type, event.object_id) == ("account", postpaid.code)


def test_a_batch_of_call_charges_is_audited_once_per_account_never_per_call(app_ctx):
    first, second = factories.account(), factories.account()
    calls = {account.code: [_rated_cdr(account, D(price)) for price in ("0.1", "0.2", "0.3")]
             for account in (first, second)}
    ops.charge_calls([cdr for pair in zip(*calls.values()) for cdr in pair], ADMIN)  # accounts interleaved
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor == ADMIN.label)
                                .order_by(AuditEvent.object_id)).all()
    assert [(e.action, e.object_id) for e in events] == [("call_charges", code) for code in sorted(calls)]
    for event in events:
        cdrs = calls[event.object_id]
        assert json.loads(event.detail) == {"count": 3, "total": "0.6", "currency": "EUR",
                                            "first_cdr": cdrs[0].id, "last_cdr": cdrs[-1].id}
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 6


def test_a_call_with_neither_price_nor_cost_posts_nothing(prepaid):
    """A free call (or one whose cost has no carrier to owe it to) has no postings to make: a
    transaction without them would be a hole in the journal that verify reports."""
    carrier = Provider(name="Carrier")
    db.session.add(carrier)
    db.session.flush()
    free, uncarried = _rated_cdr(prepaid, D("0")), _rated_cdr(prepaid, D("0"), D("0.2"))
    assert ops.charge_call(free) is None
    ops.charge_calls([free, uncarried, _rated_cdr(prepaid, D("0.5")), _rated_cdr(prepaid, D("0"), D("0.1"), carrier)])
    charged = db.session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.id)).all()
    assert [(tx.amount, len(tx.postings)) for tx in charged] == [(D("-0.5"), 2), (D("0"), 2)]
    assert free.id not in {tx.cdr_id for tx in charged} and uncarried.id not in {tx.cdr_id for tx in charged}
    assert prepaid.balance == D("-0.5") and verify() == []
    assert [e.action for e in db.session.scalars(select(AuditEvent))] == ["call_charges"]


def test_voucher_tops_up_once(prepaid):
    [code] = create_vouchers(1, D("20"), "EUR", batch="shop-1")
    assert redeem_voucher(prepaid, code.lower(), ADMIN)["balance"] == "20.000000"
    with pytest.raises(VoucherInvalid):
        redeem_voucher(prepaid, code, ADMIN)
    [dollars] = create_vouchers(1, D("5"), "USD")
    with pytest.raises(VoucherInvalid, match="USD"):
        redeem_voucher(prepaid, dollars, ADMIN)
    [old] = create_vouchers(1, D("5"), "EUR", expires_at=utcnow() - timedelta(days=1))
    with pytest.raises(VoucherInvalid, match="expired"):
        redeem_voucher(prepaid, old, ADMIN)
    assert prepaid.balance == D("20") and verify() == []


def test_holds_reserve_money_until_settled_or_expired(prepaid):
    def held():
        return db.session.scalar(select(Account.held).where(Account.id == prepaid.id))

    ops.payment(prepaid, D("10"), ADMIN)
    db.session.commit()
    row = db.session.execute(select(Account.__table__).where(Account.id == prepaid.id)).one()._asdict()
    now = utcnow()
    assert place_hold(prepaid.id, "call-1", D("4"), 600, now=now)
    assert available(prepaid, now) == D("6") and held() == D("4")
    # A hold changes the account's `held` and nothing else (not its created_at, say, which the
    # hold's own values are named like).
    assert db.session.execute(select(Account.__table__).where(Account.id == prepaid.id)).one()._asdict() == {
        **row, "held": D("4")}
    assert not place_hold(prepaid.id, "call-2", D("6.000001"), 600, now=now)  # more than is available
    assert place_hold(prepaid.id, "call-2", D("6"), 600, now=now)
    assert available(prepaid, now) == 0 and held() == D("10")
    assert not place_hold(prepaid.id, "call-1", D("0"), 600, now=now)  # the call has its hold already
    assert db.session.scalars(select(Hold.amount).where(Hold.call_uuid == "call-1")).all() == [D("4")]
    assert settle_holds(["call-1", "call-1", "no-such-call"]) == {prepaid.id: D("4")}
    assert settle_holds(["call-1"]) == {}  # settled once
    release({prepaid.id: D("4")})
    assert available(prepaid, now) == D("4") and held() == D("6") and verify() == []
    later = now + timedelta(seconds=600 + 301)
    assert available(prepaid, later) == D("10")  # a lapsed hold reserves nothing
    assert not place_hold(prepaid.id, "call-3", D("10"), 60, now=later)  # but is held until it is expired
    assert expire_holds(later) == 1 and held() == 0
    assert db.session.scalar(select(Hold.status).where(Hold.call_uuid == "call-2")) == "expired"
    assert place_hold(prepaid.id, "call-3", D("10"), 60, now=later)
    assert held() == D("10") and verify() == []


def test_a_voucher_redeemed_again_with_its_key_replays_and_posts_nothing(prepaid):
    [code, other] = create_vouchers(2, D("20"), "EUR")
    first = redeem_voucher(prepaid, code, ADMIN, key="topup-1")
    db.session.commit()
    before = state(prepaid), db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert redeem_voucher(prepaid, code, ADMIN, key="topup-1") == first
    assert (state(prepaid), db.session.scalar(select(func.count()).select_from(AuditEvent))) == before
    with pytest.raises(IdempotencyConflict):
        redeem_voucher(prepaid, other, ADMIN, key="topup-1")
    db.session.rollback()
    with pytest.raises(VoucherInvalid, match="already used"):  # without its key, a second use is refused
        redeem_voucher(prepaid, code, ADMIN)
    db.session.rollback()
    assert state(prepaid) == before[0] and prepaid.balance == D("20") and verify() == []


def test_expiring_holds_leaves_one_audit_event_per_run_that_expired_any(app_ctx):
    first, second = factories.account(), factories.account()
    for account in (first, second):
        ops.payment(account, D("10"), SYSTEM)
    now = utcnow()
    for n, account in enumerate((first, first, second)):
        assert place_hold(account.id, f"call-{n}", D("1"), 60, now=now)
    later = now + timedelta(days=1)
    assert expire_holds(later, first.id) == 2
    assert expire_holds(later) == 1
    assert expire_holds(later) == 0
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "expire_holds")
                                .order_by(AuditEvent.id)).all()
    assert [(e.actor, e.object_type, e.object_id, json.loads(e.detail)["count"]) for e in events] == [
        ("system", "account", first.code, 2), ("system", "holds", "all", 1)]


def test_same_idempotency_key_posts_once(prepaid):
    first = ops.payment(prepaid, D("7"), ADMIN, key="k-1")
    again = ops.payment(prepaid, D("7"), ADMIN, key="k-1")
    assert first == again and prepaid.balance == D("7")
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
    with pytest.raises(IdempotencyConflict):
        ops.payment(prepaid, D("8"), ADMIN, key="k-1")


def test_postings_cannot_be_changed_through_the_orm(prepaid):
    ops.payment(prepaid, D("1"), ADMIN)
    db.session.commit()
    posting = db.session.scalar(select(Posting))
    posting.amount = D("2")
    with pytest.raises(ImmutablePosting):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(Posting)))
    with pytest.raises(ImmutablePosting):
        db.session.flush()


@pytest.mark.parametrize("statement", [
    update(Posting).values(amount=Posting.amount + 1),
    update(Posting).where(Posting.id > 0).values(currency="USD"),
    delete(Posting),
    update(Posting.__table__).values(amount=0),
    delete(Posting.__table__),
], ids=["orm-update", "orm-update-where", "orm-delete", "core-update", "core-delete"])
def test_bulk_statements_cannot_change_postings(prepaid, statement):
    ops.payment(prepaid, D("1"), ADMIN)
    db.session.commit()
    with pytest.raises(ImmutablePosting):
        db.session.execute(statement)
    db.session.rollback()
    assert sorted(db.session.scalars(select(Posting.amount))) == [D("-1"), D("1")]
    assert verify() == []


@pytest.mark.parametrize("statement", ["UPDATE postings SET amount = amount + 1, currency = 'USD'",
                                       "DELETE FROM postings"])
def test_postgresql_trigger_refuses_changes_to_postings(prepaid, statement):
    """The database itself refuses: the statement goes through a plain connection, where the ORM's
    guard (a session event) never runs, so only the trigger can stop it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the ORM guard")
    ops.payment(prepaid, D("1"), ADMIN)
    db.session.commit()
    rows = select(Posting.id, Posting.transaction_id, Posting.ledger_account_id, Posting.amount,
                  Posting.currency).order_by(Posting.id)
    before = db.session.execute(rows).all()
    with db.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.exec_driver_sql(statement)
        connection.rollback()
    db.session.expire_all()
    assert len(before) == 2 and db.session.execute(rows).all() == before
    assert verify() == []


def test_verify_finds_a_held_amount_that_is_not_its_open_holds(prepaid, runner):
    ops.payment(prepaid, D("10"), ADMIN)
    assert place_hold(prepaid.id, "call-1", D("4"), 600)
    db.session.commit()
    assert verify() == []
    db.session.execute(update(Account).where(Account.id == prepaid.id).values(held=D("3")))
    db.session.commit()
    assert verify() == [f"account {prepaid.code}: 3.000000 held but its open holds sum to 4.000000"]
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code != 0 and prepaid.code in result.output


def test_verify_finds_a_tampered_cached_balance(prepaid, runner):
    ops.payment(prepaid, D("3"), ADMIN)
    db.session.commit()
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    db.session.execute(update(type(prepaid)).where(type(prepaid).id == prepaid.id).values(balance=D("4")))
    db.session.commit()
    assert any("cached balance 4" in problem for problem in verify())
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code != 0 and prepaid.code in result.output


def test_verify_finds_an_unbalanced_transaction(prepaid):
    ops.payment(prepaid, D("3"), ADMIN)
    tx = db.session.scalar(select(LedgerTransaction))
    cash = db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == "cash"))
    db.session.add(Posting(transaction_id=tx.id, ledger_account_id=cash.id, amount=D("0.01"), currency="EUR"))
    db.session.flush()
    assert any(f"transaction {tx.id}" in problem for problem in verify())


def test_verify_reports_a_one_legged_transaction(prepaid, runner):
    ops.payment(prepaid, D("3"), ADMIN)
    cash = db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == "cash"))
    lonely = LedgerTransaction(type="fee", currency="EUR", amount=D(0), description="one leg")
    db.session.add(lonely)
    db.session.flush()
    db.session.add(Posting(transaction_id=lonely.id, ledger_account_id=cash.id, amount=D(0), currency="EUR"))
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code != 0
    assert f"transaction {lonely.id}: 1 posting(s), needs two or more" in result.output


def test_verify_finds_a_posting_in_another_currency_than_its_ledger_account(prepaid, runner):
    ops.payment(prepaid, D("3"), ADMIN)
    cash = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == "cash:EUR"))
    tampered = LedgerTransaction(type="adjustment", currency="EUR", amount=D(0), description="tampered")
    db.session.add(tampered)
    db.session.flush()
    legs = [Posting(transaction_id=tampered.id, ledger_account_id=cash.id, amount=amount, currency="USD")
            for amount in (D("1"), D("-1"))]  # balanced in USD, two legs: only the currency is wrong
    db.session.add_all(legs)
    db.session.commit()
    assert verify() == [f"posting {leg.id}: in USD, but ledger account cash:EUR is in EUR" for leg in legs]
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code != 0 and f"posting {legs[0].id}: in USD" in result.output


#: Just below what a Money column (NUMERIC(18, 6)) holds.
LARGEST = D("999999999999.999999")


@pytest.mark.parametrize("first, then", [
    (lambda a: ops.payment(a, LARGEST, ADMIN), lambda a: ops.payment(a, D("0.000001"), ADMIN)),
    (lambda a: ops.adjustment(a, -LARGEST, ADMIN, "Debt"), lambda a: ops.fee(a, D("0.000001"), ADMIN, "Fee")),
    (lambda a: ops.adjustment(a, -LARGEST, ADMIN, "Debt"), lambda a: ops.adjustment(a, D("-1"), ADMIN, "More")),
], ids=["payment-up", "fee-down", "adjustment-down"])
def test_a_balance_never_goes_beyond_what_its_column_holds(prepaid, first, then):
    first(prepaid)
    db.session.commit()
    before = state(prepaid)
    with pytest.raises(BalanceOutOfRange) as refused:
        then(prepaid)
    assert (refused.value.status, refused.value.code) == (422, "balance_out_of_range")
    db.session.rollback()
    assert state(prepaid) == before and verify() == []


def test_a_credit_limit_never_goes_beyond_what_its_column_holds(postpaid):
    ops.credit(postpaid, LARGEST, ADMIN)
    db.session.commit()
    before = state(postpaid)
    with pytest.raises(CreditLimitOutOfRange):
        ops.credit(postpaid, D("0.000001"), ADMIN)
    db.session.rollback()
    assert state(postpaid) == before


def test_a_holds_commit_skips_the_fsync_on_sqlite_until_its_connection_is_back_in_the_pool(prepaid):
    def synchronous():
        return db.session.connection().exec_driver_sql("PRAGMA synchronous").scalar()

    if db.engine.dialect.name != "sqlite":
        pytest.skip("synchronous is SQLite's setting")
    ops.payment(prepaid, D("10"), ADMIN)
    assert synchronous() == 2  # FULL: money is synced
    db.session.commit()
    assert place_hold(prepaid.id, "call-1", D("4"), 600)
    assert synchronous() == 1  # NORMAL for the hold's commit
    db.session.commit()
    db.session.remove()  # the connection goes back to the pool
    assert synchronous() == 2


def test_a_holds_commit_does_not_wait_for_the_disk_on_postgresql_and_money_still_does(prepaid):
    def synchronous_commit():
        return db.session.connection().exec_driver_sql("SHOW synchronous_commit").scalar()

    if db.engine.dialect.name == "sqlite":
        pytest.skip("synchronous_commit is PostgreSQL's setting")
    ops.payment(prepaid, D("10"), ADMIN)
    assert synchronous_commit() == "on"  # a payment's commit waits for the write-ahead log's flush
    db.session.commit()
    assert place_hold(prepaid.id, "call-1", D("4"), 600)
    assert synchronous_commit() == "off"  # for the hold's transaction only
    db.session.commit()
    assert synchronous_commit() == "on"
    ops.payment(prepaid, D("1"), ADMIN)
    assert synchronous_commit() == "on"
