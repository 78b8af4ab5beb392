"""An issued invoice, its lines and its CDRs never change: the ORM refuses on both databases, and
PostgreSQL's triggers refuse plain SQL too. Only the status of an invoice may move."""
import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import Cdr, InvoiceLine
from tests.invoicing.conftest import UK_FIXED, at, invoice_of


@pytest.fixture
def issued(app, make_account, make_calls, close):
    make_account("IMM")
    make_calls("IMM", [(at("2025-10-05 10:00"), UK_FIXED, 60)])
    close()


@pytest.mark.parametrize("change", [
    lambda invoice: setattr(invoice, "total", invoice.total + 1),
    lambda invoice: setattr(invoice, "pdf", b"%PDF-forged"),
    lambda invoice: setattr(invoice.lines[0], "amount", invoice.lines[0].amount + 1),
    lambda invoice: invoice.lines.append(InvoiceLine(position=9, kind="fee", description="x", quantity=1,
                                                     unit="once", amount=1)),
    lambda invoice: setattr(db.session.scalar(select(Cdr)), "price", 0),
    lambda invoice: setattr(db.session.scalar(select(Cdr)), "invoice_id", None),
    lambda invoice: db.session.delete(invoice.lines[0]),
    lambda invoice: db.session.delete(db.session.scalar(select(Cdr))),
], ids=["total", "pdf", "line", "new-line", "cdr-price", "cdr-invoice", "delete-line", "delete-cdr"])
def test_the_orm_refuses_to_change_an_issued_invoice_or_its_calls(app, issued, change):
    with app.app_context():
        change(invoice_of("IMM"))
        with pytest.raises(PermissionError, match="immutable|cannot be deleted"):
            db.session.flush()
        db.session.rollback()


def test_only_the_status_of_an_invoice_may_change(app, issued):
    with app.app_context():
        invoice_of("IMM").status = "paid"
        db.session.commit()
        assert invoice_of("IMM").status == "paid"


@pytest.mark.parametrize("statement", [
    "UPDATE invoices SET total = total + 1", "UPDATE invoice_lines SET amount = 0", "DELETE FROM invoice_lines",
    "DELETE FROM invoices", "UPDATE cdrs SET price = 0", "DELETE FROM cdrs"])
def test_postgresql_refuses_changes_to_issued_documents(app, issued, statement):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the immutability triggers are PostgreSQL's; SQLite relies on the ORM guard")
        with pytest.raises(Exception, match="immutable"):
            db.session.execute(text(statement))
        db.session.rollback()
        db.session.execute(text("UPDATE invoices SET status = 'paid'"))
        db.session.commit()
