"""Rules the database itself enforces, and exact money storage on both databases."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Account, Cdr, Invoice, LedgerAccount, LedgerTransaction, Posting
from tests import factories

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


def _commit_fails():
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cdr_uuid_is_unique(app_ctx):
    for _ in range(2):
        db.session.add(Cdr(uuid="same", account_code="x", callee="441", start=NOW))
    _commit_fails()


def test_account_code_is_unique(app_ctx):
    factories.account(code="1001")
    db.session.commit()
    db.session.add(Account(code="1001", name="Dup", email="d@example.com", currency="EUR"))
    _commit_fails()


def test_invoice_number_is_unique(app_ctx):
    account = factories.account()
    for period in ("2026-09", "2026-10"):
        db.session.add(Invoice(number="INV-2026-000001", account=account, period=period, currency="EUR",
                               period_start=NOW, period_end=NOW.replace(day=6), subtotal=0, tax=0, total=0))
    _commit_fails()


@pytest.mark.parametrize("fields", [
    {"credit_limit": Decimal(-1), "billing": "postpaid"},
    {"credit_limit": Decimal(10), "billing": "prepaid"},
    {"billing": "barter"},
    {"status": "sleeping"},
    {"tax_rate": Decimal(101)},
    {"currency": "XYZ"},
])
def test_account_check_constraints(app_ctx, fields):
    base = {"code": "C1", "name": "n", "email": "e@example.com", "currency": "EUR"}
    base.update(fields)
    db.session.add(Account(**base))
    _commit_fails()


def test_cdr_foreign_key_is_enforced(app_ctx):
    db.session.add(Cdr(uuid="u1", account_code="x", callee="441", start=NOW, account_id=999999))
    _commit_fails()


@pytest.mark.parametrize("amount", [
    Decimal("0.000001"), Decimal("-123456789.123456"), Decimal("99999999999.999999"), Decimal(0),
])
def test_money_round_trips_exactly(app_ctx, amount):
    account = factories.account(billing="postpaid")
    account.balance = amount
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Account, account.id).balance == amount


def test_money_sums_are_exact(app_ctx):
    factories.account()
    ledger = LedgerAccount(key="cash:EUR", kind="cash", currency="EUR")
    tx = LedgerTransaction(type="payment", amount=Decimal(0), currency="EUR")
    db.session.add_all([ledger, tx])
    db.session.flush()
    for _ in range(1000):
        db.session.add(Posting(transaction_id=tx.id, ledger_account_id=ledger.id, amount=Decimal("0.000001"),
                               currency="EUR"))
    db.session.commit()
    total = db.session.scalar(select(func.sum(Posting.amount)))
    assert total == Decimal("0.001000") and isinstance(total, Decimal)


def test_money_refuses_float_and_excess_places(app_ctx):
    account = factories.account()
    account.balance = 0.1
    with pytest.raises(Exception, match="float"):
        db.session.commit()
    db.session.rollback()
    account = factories.account()
    account.balance = Decimal("0.0000001")
    with pytest.raises(Exception, match="decimal places"):
        db.session.commit()
    db.session.rollback()


def test_times_come_back_aware_utc(app_ctx):
    db.session.add(Cdr(uuid="t1", account_code="x", callee="441", start=NOW))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Cdr.start)) == NOW
    assert db.session.scalar(select(Cdr.start)).tzinfo is not None


def _sqlite_plan(statement):
    """SQLite's plan for `statement` (it does not depend on the values bound)."""
    compiled = statement.compile(dialect=db.engine.dialect)
    values = (None,) * len(compiled.positiontup)
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values).all()
    return " ".join(row[-1] for row in rows)


def test_authorization_reads_and_reserves_without_reading_every_hold_of_the_account(app_ctx):
    """What an account has available comes from its row (`held`); authorization only seeks its
    lapsed holds, by expiry, and the call's own hold by uuid; reserving writes the account row and
    expiring seeks again. None may read all of an account's holds, or an account with many calls
    in progress (a wholesale customer) would slow every one of its authorizations."""
    from portal.authorization import _ACCOUNT
    from portal.ledger.balance import _OPEN_HOLDS
    from portal.ledger.holds import _EXPIRE_ACCOUNT, _RESERVE

    columns = {index["name"]: index["column_names"] for index in inspect(db.engine).get_indexes("holds")}
    assert columns["ix_holds_account_open"] == ["account_id", "status", "expires_at", "amount"]
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner picks by table statistics, which a test database has not got
    lapsed = "SEARCH holds USING COVERING INDEX ix_holds_account_open (account_id=? AND status=? AND expires_at<?)"
    read = _sqlite_plan(_ACCOUNT)
    assert lapsed in read and "SEARCH call USING INDEX sqlite_autoindex_holds_1 (call_uuid=?)" in read
    assert "SEARCH accounts USING INTEGER PRIMARY KEY (rowid=?)" in _sqlite_plan(_RESERVE)
    assert lapsed in _sqlite_plan(_EXPIRE_ACCOUNT)
    # What the customer pages show sums the open holds, from the index alone.
    assert "SEARCH holds USING COVERING INDEX ix_holds_account_open (account_id=? AND status=? AND expires_at>?)" \
        in _sqlite_plan(_OPEN_HOLDS)
    assert not any("SCAN holds" in _sqlite_plan(statement) for statement in (_ACCOUNT, _RESERVE, _EXPIRE_ACCOUNT))
