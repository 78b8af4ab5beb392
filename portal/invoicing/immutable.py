"""Issued documents never change (DESIGN §1): the ORM refuses to update an invoice or credit note
(except its status), to touch its lines, to add lines to it once it is stored, to delete either, or
to change a CDR once it is invoiced. A document is written whole: its lines go in with it, in the
same flush. PostgreSQL enforces the same with triggers (migrations 0003 and 0005); corrections are
credit notes."""
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from portal.models.cdrs import Cdr
from portal.models.invoices import Invoice, InvoiceLine


def _was_invoiced(cdr):
    history = inspect(cdr).attrs.invoice_id.history
    before = history.deleted or history.unchanged
    return bool(before) and before[0] is not None


def _changes_more_than_status(invoice):
    return any(attr.history.has_changes() for attr in inspect(invoice).attrs if attr.key != "status")


def _added_to_a_stored_document(line):
    """A new line whose invoice is not being inserted with it (one loaded, or named by id only)."""
    return line.invoice is None or not inspect(line.invoice).pending


@event.listens_for(Session, "before_flush")
def _issued_documents_are_immutable(session, flush_context, instances):
    for obj in session.new:
        if isinstance(obj, InvoiceLine) and _added_to_a_stored_document(obj):
            raise PermissionError("issued invoices are immutable: lines are written with their invoice; "
                                  "issue a credit note instead")
    for obj in session.deleted:
        if isinstance(obj, (Invoice, InvoiceLine)) or (isinstance(obj, Cdr) and _was_invoiced(obj)):
            raise PermissionError("issued invoices, their lines and invoiced CDRs cannot be deleted")
    for obj in session.dirty:
        if not session.is_modified(obj):
            continue
        if isinstance(obj, InvoiceLine) or (isinstance(obj, Invoice) and _changes_more_than_status(obj)) or \
                (isinstance(obj, Cdr) and _was_invoiced(obj)):
            raise PermissionError("issued invoices, their lines and invoiced CDRs are immutable: "
                                  "issue a credit note instead")
