"""An issued invoice, its lines and its CDRs never change, and it takes no new lines: the ORM refuses
on both databases, and PostgreSQL's triggers refuse plain SQL too. Only the status of an invoice may
move."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

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
    lambda invoice: db.session.add(InvoiceLine(invoice_id=invoice.id, position=9, kind="fee", description="x",
                                               quantity=1, unit="once", amount=1)),
    lambda invoice: setattr(db.session.scalar(select(Cdr)), "price", 0),
    lambda invoice: setattr(db.session.scalar(select(Cdr)), "invoice_id", None),
    lambda invoice: db.session.delete(invoice.lines[0]),
    lambda invoice: db.session.delete(db.session.scalar(select(Cdr))),
], ids=["total", "pdf", "line", "new-line", "new-line-by-id", "cdr-price", "cdr-invoice", "delete-line", "delete-cdr"])
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


@pytest.mark.parametrize("status", ["issued", "paid"])
def test_the_orm_refuses_a_new_line_for_a_stored_invoice_whatever_its_status(app, issued, status):
    with app.app_context():
        invoice = invoice_of("IMM")
        invoice.status = status
        db.session.commit()
        db.session.expunge_all()  # nothing loaded: the line names its invoice by id only
        db.session.add(InvoiceLine(invoice_id=invoice_of("IMM").id, position=9, kind="fee", description="x",
                                   quantity=1, unit="once", amount=1))
        with pytest.raises(PermissionError, match="immutable"):
            db.session.flush()
        db.session.rollback()
        assert len(invoice_of("IMM").lines) == 1


INSERT_LINE = text("INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, unit, amount) "
                   "VALUES (:invoice_id, 9, 'fee', 'forged', 1, 'once', 1)")


@pytest.mark.parametrize("status_first", [None, "paid"], ids=["plain", "after-a-status-change"])
def test_postgresql_refuses_a_new_line_for_an_issued_invoice(app, issued, status_first):
    """Also in a transaction that has just updated the invoice's status (a row version of its own)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the invoice_lines INSERT trigger is PostgreSQL's (migration 0005); SQLite relies on the "
                        "ORM guard")
        invoice_id = invoice_of("IMM").id
        db.session.rollback()
        with db.engine.connect() as connection:
            if status_first:
                connection.execute(text("UPDATE invoices SET status = :status WHERE id = :id"),
                                   {"status": status_first, "id": invoice_id})
            with pytest.raises(DBAPIError, match="immutable"):
                connection.execute(INSERT_LINE, {"invoice_id": invoice_id})
            connection.rollback()
        assert len(invoice_of("IMM").lines) == 1
