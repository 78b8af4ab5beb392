"""Issued documents never change (DESIGN §1): the ORM refuses to update an invoice or credit note
(except its status), to touch its lines, to delete either, or to change a CDR once it is invoiced.
PostgreSQL enforces the same with triggers (migration 0003); corrections are credit notes."""
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


@event.listens_for(Session, "before_flush")
def _issued_documents_are_immutable(session, flush_context, instances):
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
