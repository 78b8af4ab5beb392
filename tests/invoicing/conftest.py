"""Invoicing fixtures: a small EUR tariff, accounts on it, calls through the real ingest pipeline, and
helpers that close a month and read what the ledger says. Data is seeded inside app contexts that
end before the test client is used."""
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.audit import SYSTEM
from portal.cdrs.ingest import ingest
from portal.cdrs.parsers import RawCdr
from portal.extensions import db
from portal.invoicing.period import Period
from portal.invoicing.run import run_period
from portal.ledger import operations
from portal.models import Account, Cdr, Invoice, LedgerAccount, LedgerTransaction, Posting, RetailRate
from tests import factories

#: A month long over (the suite's clock is the real one).
PERIOD = "2025-10"
#: (prefix, destination, price per minute): per-second billing (T1 = T2 = 1), four decimals.
RATES = (("44", "United Kingdom", "0.0200"), ("447", "United Kingdom Mobile", "0.0600"),
         ("49", "Germany", "0.0250"), ("4915", "Germany Mobile", "0.0700"))
UK_MOBILE, UK_FIXED, DE_MOBILE = "447700900123", "442071234567", "4915112345678"


def at(text):
    """An aware UTC time from "2025-10-05 14:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def voip_plan_id(app):
    with app.app_context():
        plan = factories.voip_plan("EUR")
        retail = plan.retail_links[0].retail_plan
        db.session.add_all(RetailRate(plan=retail, prefix=prefix, destination=name, rate=Decimal(rate))
                           for prefix, name, rate in RATES)
        db.session.commit()
        return plan.id


@pytest.fixture
def make_account(app, voip_plan_id):
    """make_account(code, billing=…, timezone=…, tax_rate=…, language=…, top_up=…) → code."""

    def make(code, billing="prepaid", top_up="100", **fields):
        with app.app_context():
            fields.setdefault("tax_rate", Decimal(20))
            if billing == "postpaid":
                fields.setdefault("credit_limit", Decimal(500))
            account = factories.account(code=code, billing=billing, voip_plan_id=voip_plan_id,
                                        company_name=f"{code} Trading Ltd", address="1 High Street", city="London",
                                        zip_code="N1 1AA", country="GB", **fields)
            if Decimal(top_up):
                operations.payment(account, Decimal(top_up), SYSTEM, description="Top-up")
            db.session.commit()
        return code

    return make


_serial = iter(range(1, 10 ** 9))


def call_record(account, start, callee=UK_FIXED, billsec=60, uuid=None):
    return RawCdr(uuid=uuid or f"call-{next(_serial)}", account=account, caller="442079460000", callee=callee,
                  start=start, answer=start, end=start + timedelta(seconds=billsec), billsec=billsec,
                  duration=billsec, hangup_cause=16, src_ip="192.0.2.1", provider="", switch="")


@pytest.fixture
def make_calls(app):
    """make_calls(account, [(start, callee, billsec), …]) through the real CDR pipeline."""

    def make(account, calls):
        with app.app_context():
            result = ingest([call_record(account, start, callee, billsec) for start, callee, billsec in calls])
            db.session.commit()
            assert result.rated == len(calls)

    return make


@pytest.fixture
def close(app):
    """close(period="2025-10", account=None, annex=False) → RunResult, committed."""

    def run(period=PERIOD, account=None, annex=False):
        with app.app_context():
            return run_period(Period.parse(period), account, annex=annex)

    return run


def invoice_of(account_code, period=PERIOD):
    return db.session.scalar(select(Invoice).join(Account).where(Account.code == account_code,
                                                                 Invoice.period == period,
                                                                 Invoice.kind == "invoice"))


def customer_movement(invoice):
    """What the invoice's calls and its close did to the customer's ledger, from the postings."""
    customer = db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.account_id == invoice.account_id))
    belongs = (LedgerTransaction.invoice_id == invoice.id) | LedgerTransaction.cdr_id.in_(
        select(Cdr.id).where(Cdr.invoice_id == invoice.id))
    return db.session.scalar(select(func.sum(Posting.amount)).join(LedgerTransaction).where(
        Posting.ledger_account_id == customer, belongs))


def ledger_sums():
    """Every ledger account's balance, by key."""
    return dict(db.session.execute(select(LedgerAccount.key, func.coalesce(func.sum(Posting.amount), 0))
                                   .outerjoin(Posting).group_by(LedgerAccount.key)).all())


def plain(text):
    """No-break spaces (babel puts them between amount and currency) as the spaces PDF text has."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def pdf_text(data):
    return plain("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
