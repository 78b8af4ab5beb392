"""The monthly close: what an invoice holds, where each call goes, what the ledger records, and that
running a month again makes nothing new."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.cdrs.rerate import rerate
from portal.extensions import db
from portal.invoicing.errors import InvalidPeriod, PeriodNotOver
from portal.invoicing.period import Period
from portal.invoicing.run import run_period
from portal.ledger.verify import verify
from portal.models import (
    Account,
    Cdr,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    LedgerTransaction,
    Posting,
    RetailRate,
)
from portal.models.types import utcnow
from tests.invoicing.conftest import DE_MOBILE, UK_FIXED, UK_MOBILE, at, customer_movement, invoice_of, pdf_text


def test_usage_lines_per_destination_with_tax_and_totals(app, make_account, make_calls, close):
    make_account("ACME")
    make_calls("ACME", [(at("2025-10-05 10:00"), UK_FIXED, 90), (at("2025-10-06 10:00"), UK_FIXED, 30),
                        (at("2025-10-07 10:00"), UK_MOBILE, 61), (at("2025-10-08 10:00"), DE_MOBILE, 7)])
    assert close().created == [f"INV-{utcnow().year}-000001"]
    with app.app_context():
        invoice = invoice_of("ACME")
        lines = [(line.kind, line.description, line.quantity, line.unit, line.amount) for line in invoice.lines]
        # 120 s at 0.02 = 0.04; 61 s at 0.06 = 0.061 → 0.06; 7 s at 0.07 = 0.008167 → 0.0082 → 0.01.
        assert lines == [
            ("usage", "Germany Mobile (+4915): 1 call", Decimal("0.12"), "min", Decimal("0.01")),
            ("usage", "United Kingdom (+44): 2 calls", Decimal("2.00"), "min", Decimal("0.04")),
            ("usage", "United Kingdom Mobile (+447): 1 call", Decimal("1.02"), "min", Decimal("0.06")),
        ]
        assert (invoice.subtotal, invoice.tax_rate, invoice.tax, invoice.total) == (
            Decimal("0.11"), Decimal(20), Decimal("0.02"), Decimal("0.13"))
        assert invoice.period_start == at("2025-10-01 00:00") and invoice.period_end == at("2025-11-01 00:00")
        assert invoice.pdf_sha256 and invoice.status == "issued"


def test_the_ledger_moves_by_exactly_the_invoice_total(app, make_account, make_calls, close):
    make_account("ACME")
    make_calls("ACME", [(at("2025-10-05 10:00"), DE_MOBILE, 7), (at("2025-10-05 11:00"), DE_MOBILE, 7),
                        (at("2025-10-05 12:00"), UK_MOBILE, 13)])
    close()
    with app.app_context():
        invoice = invoice_of("ACME")
        assert customer_movement(invoice) == -invoice.total
        tax = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.invoice_id == invoice.id,
                                                                LedgerTransaction.type == "tax"))
        assert tax.amount == -invoice.tax
        assert {p.ledger_account.key: p.amount for p in tax.postings}["tax_payable:EUR"] == invoice.tax
        rounding = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.invoice_id == invoice.id,
                                                                     LedgerTransaction.type == "adjustment"))
        # Germany Mobile 2 × 0.0082 = 0.0164 is billed 0.02, UK Mobile 0.0130 is billed 0.01: the close
        # posts the difference, 0.0036 − 0.0030, to the customer.
        assert rounding.amount == Decimal("-0.0006")
        assert verify() == []


def test_a_second_run_creates_nothing(app, make_account, make_calls, close):
    make_account("ACME")
    make_account("BOB", billing="postpaid", top_up="0")
    make_calls("ACME", [(at("2025-10-05 10:00"), UK_FIXED, 60)])
    make_calls("BOB", [(at("2025-10-05 10:00"), UK_MOBILE, 60)])
    first = close()
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(model))
                  for model in (Invoice, InvoiceLine, LedgerTransaction, Posting)]
        balances = db.session.execute(select(Account.code, Account.balance).order_by(Account.code)).all()
    second = close()
    assert len(first.created) == 2 and second.created == [] and sorted(second.existing) == sorted(first.created)
    with app.app_context():
        assert [db.session.scalar(select(func.count()).select_from(model))
                for model in (Invoice, InvoiceLine, LedgerTransaction, Posting)] == counts
        assert db.session.execute(select(Account.code, Account.balance).order_by(Account.code)).all() == balances
        assert db.session.scalar(select(DocumentSequence.last_number)) == 2


@pytest.mark.parametrize("zone, october, november", [
    # Berlin is UTC+2 until 26 October, then UTC+1: the month is [30 Sep 22:00Z, 31 Oct 23:00Z).
    ("Europe/Berlin", ["2025-09-30 22:00", "2025-10-31 22:59"], ["2025-09-30 21:59", "2025-10-31 23:00"]),
    # New York is UTC−4 all October: [1 Oct 04:00Z, 1 Nov 04:00Z).
    ("America/New_York", ["2025-10-01 04:00", "2025-11-01 03:59"], ["2025-10-01 03:59", "2025-11-01 04:00"]),
])
def test_a_month_boundary_in_the_accounts_time_zone_puts_each_call_in_the_right_invoice(
        app, make_account, make_calls, close, zone, october, november):
    make_account("ZONE", timezone=zone)
    inside = [at(text) for text in october]
    outside = [at(text) for text in november]
    make_calls("ZONE", [(moment, UK_FIXED, 60) for moment in inside + outside])
    with app.app_context():
        # The call before the month's start belongs to September: close September first.
        september = run_period(Period.parse("2025-09"), "ZONE").created
    close(account="ZONE")
    with app.app_context():
        october_invoice = invoice_of("ZONE")
        in_october = set(db.session.scalars(select(Cdr.start).where(Cdr.invoice_id == october_invoice.id)))
        assert in_october == set(inside)
        assert len(september) == 1
        september_calls = set(db.session.scalars(select(Cdr.start).join(Invoice).where(Invoice.period == "2025-09")))
        assert september_calls == {min(outside)}
        assert db.session.scalar(select(Cdr.invoice_id).where(Cdr.start == max(outside))) is None


def test_a_cdr_that_arrives_after_its_month_was_closed_goes_on_the_next_invoice(app, make_account, make_calls,
                                                                                close):
    make_account("LATE")
    make_calls("LATE", [(at("2025-10-10 10:00"), UK_FIXED, 60)])
    close()
    make_calls("LATE", [(at("2025-10-31 12:00"), UK_FIXED, 120), (at("2025-11-02 09:00"), UK_FIXED, 60)])
    close("2025-11")
    with app.app_context():
        november = invoice_of("LATE", "2025-11")
        assert [line.description for line in november.lines] == [
            "United Kingdom (+44): 1 call", "United Kingdom (+44): 1 call, made before November 2025"]
        assert invoice_of("LATE").lines[0].quantity == Decimal("1.00")  # October is untouched


def test_statement_balances_chain_from_invoice_to_invoice(app, make_account, make_calls, close):
    make_account("BOB", billing="postpaid", top_up="0")
    make_calls("BOB", [(at("2025-10-05 10:00"), UK_MOBILE, 600)])  # 0.60
    close()
    with app.app_context():
        october = invoice_of("BOB")
        assert (october.opening_balance, october.payments, october.charges, october.closing_balance) == (
            Decimal(0), Decimal(0), Decimal("0.72"), Decimal("-0.72"))
        from portal.audit import SYSTEM
        from portal.ledger import operations

        operations.payment(db.session.get(Account, october.account_id), Decimal("0.72"), SYSTEM)
        db.session.commit()
    make_calls("BOB", [(at("2025-11-05 10:00"), UK_MOBILE, 1200)])  # 1.20
    make_calls("BOB", [(at("2025-12-01 10:00"), UK_MOBILE, 60)])  # December: not on November's invoice
    close("2025-11")
    with app.app_context():
        november = invoice_of("BOB", "2025-11")
        assert november.opening_balance == Decimal("-0.72") and november.payments == Decimal("0.72")
        assert november.charges == november.total == Decimal("1.44")
        assert november.closing_balance == november.opening_balance + november.payments - november.charges
        account = db.session.get(Account, november.account_id)
        assert account.balance == november.closing_balance - Decimal("0.06")  # the December call
        assert november.due_date == november.issued_at.date() + timedelta(days=app.config["PAYMENT_TERMS_DAYS"])


@pytest.mark.parametrize("zone, last_call, issued, issued_there", [
    # Auckland is UTC+13 in late October: its October ends at 31 Oct 11:00Z; half an hour later it is
    # already 1 November there, still 31 October in UTC.
    ("Pacific/Auckland", "2025-10-31 10:59", "2025-10-31 11:30", date(2025, 11, 1)),
    # Honolulu is UTC−10: its October ends at 1 Nov 10:00Z; at 2 Nov 05:00Z it is still 1 November there.
    ("Pacific/Honolulu", "2025-11-01 09:59", "2025-11-02 05:00", date(2025, 11, 1)),
])
def test_the_due_date_counts_the_payment_terms_from_the_issue_date_in_the_accounts_zone(
        app, make_account, make_calls, monkeypatch, zone, last_call, issued, issued_there):
    make_account("FAR", billing="postpaid", top_up="0", timezone=zone, language="en_GB")
    make_calls("FAR", [(at(last_call), UK_FIXED, 60)])  # the month's last minute, there
    monkeypatch.setattr("portal.invoicing.close.utcnow", lambda: at(issued))
    with app.app_context():
        assert run_period(Period.parse("2025-10"), "FAR", now=at(issued)).created
        invoice = invoice_of("FAR")
        due = issued_there + timedelta(days=app.config["PAYMENT_TERMS_DAYS"])
        assert invoice.issued_at == at(issued) and invoice.issued_at.date() != issued_there
        assert [call.invoice_id for call in db.session.scalars(select(Cdr))] == [invoice.id]
        assert invoice.due_date == due
        text = " ".join(pdf_text(invoice.pdf).split())
    assert f"Issue date {issued_there:%-d %B %Y}" in text and f"Due date {due:%-d %B %Y}" in text


def test_prepaid_invoices_have_no_due_date(app, make_account, make_calls, close):
    make_account("PRE")
    make_calls("PRE", [(at("2025-10-05 10:00"), UK_FIXED, 60)])
    close()
    with app.app_context():
        assert invoice_of("PRE").due_date is None


def test_a_tariff_change_after_issue_leaves_the_invoice_unchanged(app, make_account, make_calls, close):
    make_account("ACME")
    make_calls("ACME", [(at("2025-10-05 10:00"), UK_MOBILE, 600)])
    close()
    make_calls("ACME", [(at("2025-10-30 10:00"), UK_MOBILE, 600)])  # arrives late: not invoiced yet
    with app.app_context():
        invoice = invoice_of("ACME")
        before = (invoice.total, invoice.pdf_sha256, [(line.description, line.amount) for line in invoice.lines])
        invoiced = db.session.scalar(select(Cdr).where(Cdr.invoice_id == invoice.id))
        call_before = (invoiced.id, invoiced.price, invoiced.trace)
        db.session.scalar(select(RetailRate).where(RetailRate.prefix == "447")).rate = Decimal("0.6000")
        db.session.commit()
        result = rerate(at("2025-10-01 00:00"), at("2025-11-01 00:00"))
        db.session.commit()
        assert (result.examined, result.changed) == (1, 1)  # only the call not yet invoiced
        db.session.expire_all()
        invoice = invoice_of("ACME")
        assert (invoice.total, invoice.pdf_sha256, [(line.description, line.amount) for line in invoice.lines]) \
            == before
        invoiced = db.session.get(Cdr, call_before[0])
        assert (invoiced.id, invoiced.price, invoiced.trace) == call_before
        assert db.session.scalar(select(Cdr.price).where(Cdr.invoice_id.is_(None))) == Decimal("6.0000")


def test_an_account_with_nothing_to_bill_gets_no_invoice(app, make_account, close):
    make_account("IDLE")
    assert close().created == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_month_not_over_cannot_be_closed(app, make_account):
    make_account("ACME")
    with app.app_context():
        this_month = Period.parse(utcnow().strftime("%Y-%m"))
        with pytest.raises(PeriodNotOver):
            run_period(this_month)


@pytest.mark.parametrize("text", ["2025-13", "2025-1", "26-10", "1999-12", "", "2025-10-01"])
def test_a_period_is_a_month_written_yyyy_mm(text):
    with pytest.raises(InvalidPeriod):
        Period.parse(text)
