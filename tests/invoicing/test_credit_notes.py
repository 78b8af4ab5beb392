"""Credit notes: the only correction of an issued invoice; numbered CN-YYYY-NNNNNN, with their own
PDF, pointing at the invoice, and exact in the ledger."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.invoicing.credit_notes import issue_credit_note
from portal.invoicing.errors import AlreadyCredited, CreditExceedsInvoice, NotAnInvoice, ReasonRequired
from portal.invoicing.products import assign_product, create_product
from portal.ledger.verify import verify
from portal.models import Account, Invoice, LedgerTransaction
from portal.models.types import utcnow
from tests.invoicing.conftest import UK_FIXED, UK_MOBILE, at, invoice_of, ledger_sums, pdf_text

#: What a credit note does not give back: the carrier's bill for calls that did happen.
COSTS = ("provider_payable", "call_cost")


@pytest.fixture
def issued(app, make_account, make_calls, close):
    """An October invoice with calls, a product fee and tax; returns the ledger as it was before."""
    make_account("ACME")
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "ACME"))
        assign_product(account, create_product("Number rental", "EUR", Decimal("1.50")), date(2025, 1, 1),
                       note="+44 20 7946 0000")
        db.session.commit()
        before = ledger_sums()
    make_calls("ACME", [(at("2025-10-05 10:00"), UK_MOBILE, 67), (at("2025-10-06 10:00"), UK_FIXED, 601)])
    close()
    return before


def test_a_full_credit_note_restores_the_ledger_exactly(app, issued):
    with app.app_context():
        invoice = invoice_of("ACME")
        note = issue_credit_note(invoice, "Service outage in October")
        db.session.commit()
        assert note.number == f"CN-{utcnow().year}-000001" and note.kind == "credit_note"
        assert note.corrects_invoice_id == invoice.id and invoice.status == "credited"
        assert (note.subtotal, note.tax, note.total) == (invoice.subtotal, invoice.tax, invoice.total)
        assert [(line.description, line.amount) for line in note.lines] == \
            [(line.description, line.amount) for line in invoice.lines]
        after = ledger_sums()
        assert {key: value for key, value in after.items() if not key.startswith(COSTS)} == \
            {key: issued.get(key, 0) for key in after if not key.startswith(COSTS)}
        transaction = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.invoice_id == note.id))
        assert transaction.type == "credit_note" and transaction.amount == invoice.total
        text = pdf_text(note.pdf)
        assert "Credit note" in text and note.number in text and invoice.number in text
        assert "Service outage in October" in text
        assert verify() == []


def test_partial_credit_notes_never_give_back_more_than_the_invoice(app, issued):
    with app.app_context():
        invoice = invoice_of("ACME")
        first = issue_credit_note(invoice, "Goodwill", amount="1.00")
        assert (first.subtotal, first.tax, first.total) == (Decimal("1.00"), Decimal("0.20"), Decimal("1.20"))
        assert invoice.status == "issued"
        with pytest.raises(CreditExceedsInvoice):
            issue_credit_note(invoice, "Too much", amount=invoice.subtotal)
        with pytest.raises(AlreadyCredited):
            issue_credit_note(invoice, "The rest")
        rest = issue_credit_note(invoice, "The rest", amount=invoice.subtotal - Decimal("1.00"))
        assert first.tax + rest.tax == invoice.tax and first.total + rest.total == invoice.total
        assert invoice.status == "credited"
        assert [note.number[-6:] for note in (first, rest)] == ["000001", "000002"]
        db.session.commit()
        assert verify() == []
        # Everything the invoice charged (calls included) came back: the top-up is all that is left.
        assert db.session.scalar(select(Account.balance).where(Account.code == "ACME")) == Decimal(100)


@pytest.mark.parametrize("reason, amount, error", [("", None, ReasonRequired), ("  ", "1", ReasonRequired),
                                                   ("Why", "0", CreditExceedsInvoice),
                                                   ("Why", "-1", CreditExceedsInvoice)])
def test_a_credit_note_needs_a_reason_and_a_positive_amount(app, issued, reason, amount, error):
    with app.app_context(), pytest.raises(error):
        issue_credit_note(invoice_of("ACME"), reason, amount=amount)


def test_a_credit_note_cannot_be_credited(app, issued):
    with app.app_context():
        note = issue_credit_note(invoice_of("ACME"), "Outage")
        with pytest.raises(NotAnInvoice):
            issue_credit_note(note, "Again")
        assert db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note")).number == note.number
