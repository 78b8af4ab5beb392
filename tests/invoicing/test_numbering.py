"""Invoice numbers: gapless per year, taken inside the invoice's transaction, never burnt by a close
that fails or loses a race; concurrent runs of one month issue each invoice once (PostgreSQL)."""
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.invoicing.numbering import next_number
from portal.invoicing.period import Period
from portal.invoicing.products import create_product
from portal.invoicing.run import run_period
from portal.models import Account, AccountProduct, DocumentSequence, Invoice
from portal.models.types import utcnow
from tests.invoicing.conftest import PERIOD, UK_FIXED, at

YEAR = utcnow().year


def _issued():
    return list(db.session.scalars(select(Invoice.number).where(Invoice.kind == "invoice").order_by(Invoice.number)))


def _last_number():
    return db.session.scalar(select(DocumentSequence.last_number).where(DocumentSequence.kind == "invoice",
                                                                        DocumentSequence.year == YEAR))


def test_a_rolled_back_document_gives_its_number_back(app_ctx):
    assert next_number("invoice", 2031) == "INV-2031-000001"
    db.session.rollback()
    assert next_number("invoice", 2031) == "INV-2031-000001"
    assert next_number("invoice", 2031) == "INV-2031-000002"
    assert next_number("credit_note", 2031) == "CN-2031-000001"


@pytest.mark.parametrize("workers", [1, 2], ids=["printed-alone", "printed-by-two-workers"])
def test_numbers_are_gapless_and_a_failed_close_burns_none(app, make_account, make_calls, close, workers):
    app.config["INVOICE_WORKERS"] = workers
    for code in ("A1", "A2", "A3"):
        make_account(code)
        make_calls(code, [(at("2025-10-05 10:00"), UK_FIXED, 60)])
    with app.app_context():
        # A data error on A2 (a product in another currency) makes its close fail late, after its lines
        # and statement were computed.
        usd = create_product("US number", "USD", Decimal(1))
        a2 = db.session.scalar(select(Account.id).where(Account.code == "A2"))
        db.session.add(AccountProduct(account_id=a2, product_id=usd.id, starts_on=date(2025, 1, 1)))
        db.session.commit()
    result = close()
    assert result.created == [f"INV-{YEAR}-000001", f"INV-{YEAR}-000002"]
    assert [(failure["account"], failure["code"]) for failure in result.failed] == [("A2", "currency_mismatch")]
    with app.app_context():
        assert _last_number() == 2
        db.session.execute(delete(AccountProduct))
        db.session.commit()
    assert close().created == [f"INV-{YEAR}-000003"]
    with app.app_context():
        assert _issued() == [f"INV-{YEAR}-{n:06d}" for n in (1, 2, 3)] and _last_number() == 3


@pytest.fixture
def postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent closes need PostgreSQL row locks (SQLite runs one writer at a time): "
                        "run with DATABASE_URL=postgresql://…")


@pytest.mark.postgres
@pytest.mark.parametrize("runs", [
    pytest.param(lambda codes: [None] * 6, id="six-runs-of-every-account"),
    pytest.param(lambda codes: [code for code in codes for _ in range(3)], id="three-runs-per-account"),
])
def test_concurrent_runs_issue_each_invoice_once_with_gapless_numbers(app, postgresql, make_account, make_calls,
                                                                      runs):
    codes = [f"C{n:02d}" for n in range(12)]
    for code in codes:
        make_account(code)
        make_calls(code, [(at("2025-10-05 10:00"), UK_FIXED, 60), (at("2025-10-06 10:00"), UK_FIXED, 30)])

    def run(account):
        with app.app_context():
            try:
                return run_period(Period.parse(PERIOD), account)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, runs(codes)))
    created = [number for result in results for number in result.created]
    assert sorted(created) == [f"INV-{YEAR}-{n:06d}" for n in range(1, 13)]  # each once, no gap
    assert all(not result.failed for result in results)
    with app.app_context():
        assert _issued() == sorted(created) and _last_number() == 12
        assert db.session.scalar(select(func.count(func.distinct(Invoice.account_id)))) == 12
