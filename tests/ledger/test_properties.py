"""Property test: any sequence of money operations and call holds on any accounts keeps the ledger's
invariants after every step; an operation that needs funds never takes what is available below zero;
an operation that is refused changes nothing (idempotency records included); a key used again
replays its first answer for the same request and refuses any other."""
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger import operations as ops
from portal.ledger.balance import available
from portal.ledger.errors import IdempotencyConflict, LedgerError
from portal.ledger.holds import expire_holds, place_hold, release, settle_holds
from portal.ledger.verify import verify
from portal.ledger.vouchers import create_vouchers, redeem_voucher
from portal.models import (
    AuditEvent,
    Cdr,
    CreditLimitEvent,
    Hold,
    IdempotencyRecord,
    LedgerTransaction,
    Posting,
    Voucher,
)
from portal.models.types import utcnow
from tests import factories
from tests.ledger.conftest import ADMIN


class Step(NamedTuple):
    name: str
    account: int
    amount: Decimal
    signed: Decimal
    key: str | None
    pick: int


def _cdr(account, price):
    cdr = Cdr(uuid=f"prop-{factories.next_number()}", account_code=account.code, account_id=account.id,
              callee="4420", number="4420", start=utcnow(), billsec=60, status="rated", price=price,
              currency=account.currency)
    db.session.add(cdr)
    db.session.flush()
    return cdr


def _reverse_one_of(account, step, *conditions):
    ids = db.session.scalars(select(LedgerTransaction.id).where(LedgerTransaction.account_id == account.id, *conditions)
                             .order_by(LedgerTransaction.id)).all()
    if ids:
        ops.reverse(db.session.get(LedgerTransaction, ids[step.pick % len(ids)]), ADMIN)


def _reversal(account, step):
    """Reverse one of the account's transactions (a reversal, too), perhaps one reversed already."""
    _reverse_one_of(account, step)


def _reversal_again(account, step):
    """Reverse a transaction that was reversed already: always refused."""
    reversed_ids = select(LedgerTransaction.corrects_id).where(LedgerTransaction.corrects_id.isnot(None))
    _reverse_one_of(account, step, LedgerTransaction.id.in_(reversed_ids))


def _voucher(account, step, used):
    """Redeem a new voucher, or (every other time) one already used, which is refused."""
    if used and step.pick % 2:
        redeem_voucher(account, used[step.pick % len(used)], ADMIN)
        return
    [code] = create_vouchers(1, step.amount, account.currency)
    db.session.commit()
    used.append(code)
    redeem_voucher(account, code, ADMIN)


def _place_hold(account, step):
    """Authorization of a new call: the step's amount is reserved exactly when what is available covers it."""
    now = utcnow()
    covered = step.amount <= available(account, now)
    placed = place_hold(account.id, f"prop-call-{factories.next_number()}", step.amount, step.pick * 60, now)
    assert placed == covered, f"a hold of {step.amount} was {'placed' if placed else 'refused'} on {available(account, now)}"


def _settle_hold(account, step):
    """The CDR of one of the account's calls in progress arrives."""
    uuids = db.session.scalars(select(Hold.call_uuid).where(Hold.account_id == account.id, Hold.status == "open")
                               .order_by(Hold.id)).all()
    if uuids:
        release(settle_holds([uuids[step.pick % len(uuids)]]))


def _expire_holds(account, step):
    """An expiry run up to some minutes ahead: the account's own (as authorization does) or everyone's."""
    expire_holds(utcnow() + timedelta(minutes=step.pick), account.id if step.pick % 2 else None)


#: name → (what a key's request is called, or None when the operation takes no key; how to run it)
OPERATIONS = {
    "payment": ("payment", lambda a, s, _: ops.payment(a, s.amount, ADMIN, key=s.key)),
    "return": ("return", lambda a, s, _: ops.return_payment(a, s.amount, ADMIN, key=s.key)),
    "credit": ("credit", lambda a, s, _: ops.credit(a, s.amount, ADMIN, key=s.key)),
    "return_credit": ("return_credit", lambda a, s, _: ops.return_credit(a, s.amount, ADMIN, key=s.key)),
    "fee": ("fee", lambda a, s, _: ops.fee(a, s.amount, ADMIN, "Fee", require_funds=True, key=s.key)),
    "fee_always": ("fee", lambda a, s, _: ops.fee(a, s.amount, ADMIN, "Fee", key=s.key)),
    "adjustment": ("adjustment", lambda a, s, _: ops.adjustment(a, s.signed, ADMIN, "Property test", key=s.key)),
    "call_charge": (None, lambda a, s, _: ops.charge_call(_cdr(a, s.amount))),
    "call_charges": (None, lambda a, s, _: ops.charge_calls([_cdr(a, s.amount), _cdr(a, s.signed.copy_abs())])),
    "reversal": (None, lambda a, s, _: _reversal(a, s)),
    "reversal_again": (None, lambda a, s, _: _reversal_again(a, s)),
    "voucher": (None, _voucher),
    "place_hold": (None, lambda a, s, _: _place_hold(a, s)),
    "settle_hold": (None, lambda a, s, _: _settle_hold(a, s)),
    "expire_holds": (None, lambda a, s, _: _expire_holds(a, s)),
}
#: What may only be done with money available: afterwards, available is not below zero (a hold takes
#: at most what is there, so it never pushes available further down).
NEEDS_FUNDS = ("fee", "place_hold")

steps = st.lists(st.builds(
    Step,
    name=st.sampled_from(sorted(OPERATIONS)),
    account=st.integers(0, 2),
    amount=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(1000), places=6),
    signed=st.decimals(min_value=Decimal(-500), max_value=Decimal(500), places=6).filter(lambda d: d != 0),
    key=st.none() | st.sampled_from(["k-1", "k-2", "k-3"]),
    pick=st.integers(0, 99),
), min_size=3, max_size=30)


def snapshot(account):
    """Everything an operation on `account` may change."""
    db.session.refresh(account)
    counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (
        LedgerTransaction, Posting, CreditLimitEvent, IdempotencyRecord, AuditEvent, Hold))
    used = db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.used_at.isnot(None)))
    held = db.session.scalar(select(func.count()).select_from(Hold).where(Hold.status == "open"))
    return account.balance, account.credit_limit, account.below_limit, *counts, used, held


def _request(step, kind):
    """What the ledger compares a key's uses by: operation, account, amount (and the fixed texts)."""
    return kind, step.account, step.signed if kind == "adjustment" else step.amount


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(billing=st.lists(st.sampled_from(["prepaid", "postpaid"]), min_size=3, max_size=3), steps=steps)
def test_random_operations_keep_the_invariants(app_ctx, billing, steps):
    accounts = [factories.account(billing=kind) for kind in billing]
    db.session.commit()
    scope = f"example-{factories.next_number()}:"  # keys of earlier examples are still in the database
    answered, used_vouchers = {}, []
    for step in steps:
        step = step._replace(key=step.key and scope + step.key)
        kind, run = OPERATIONS[step.name]
        keyed = kind is not None and step.key is not None
        account = accounts[step.account]
        before = snapshot(account)
        funds_before = available(account)
        try:
            answer = run(account, step, used_vouchers)
            db.session.commit()
        except LedgerError as refused:
            db.session.rollback()
            assert snapshot(account) == before, f"refused {step.name} changed something"
            if keyed and step.key in answered:  # a used key refuses only another request, and replays its own
                assert isinstance(refused, IdempotencyConflict) and answered[step.key][0] != _request(step, kind)
            continue
        if keyed and step.key in answered:
            request, first = answered[step.key]
            assert request == _request(step, kind), f"{step.name} reused a key for another request"
            assert answer == first and snapshot(account) == before, "a replay changed something"
        else:
            if keyed:
                answered[step.key] = (_request(step, kind), answer)
            balance, limit = snapshot(account)[:2]
            assert limit >= 0
            if step.name == "return":
                assert balance >= 0
            if step.name in NEEDS_FUNDS:
                assert available(account) >= min(funds_before, 0), f"{step.name} spent money that was not there"
        assert verify() == [], f"the ledger is broken after {step.name}"
