"""What one account may see of its documents: its invoices and credit notes, its receipts. Every
lookup is scoped to the account, so another customer's number answers None (a 404), never the PDF."""
from datetime import UTC, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.invoicing.receipts import RECEIPT_TYPES
from portal.models import Invoice, LedgerTransaction


def documents_of(account_id, year=None):
    """The account's invoices and credit notes, newest first (a query to page)."""
    query = (select(Invoice).where(Invoice.account_id == account_id)
             .order_by(Invoice.issued_at.desc(), Invoice.id.desc()))
    if year:
        query = query.where(Invoice.period.startswith(f"{year:04d}-"))
    return query


def document_years(account_id):
    """The years the account has documents for, newest first (the filter's choices)."""
    periods = db.session.scalars(select(Invoice.period).where(Invoice.account_id == account_id).distinct())
    return sorted({int(period[:4]) for period in periods}, reverse=True)


def document_of(account_id, number):
    return db.session.scalar(select(Invoice).where(Invoice.account_id == account_id, Invoice.number == number))


def receipts_of(account_id, year=None):
    """The account's payments and top-ups, newest first (a query to page)."""
    query = (select(LedgerTransaction)
             .where(LedgerTransaction.account_id == account_id, LedgerTransaction.type.in_(RECEIPT_TYPES))
             .order_by(LedgerTransaction.id.desc()))
    if year:
        query = query.where(LedgerTransaction.created_at >= datetime(year, 1, 1, tzinfo=UTC),
                            LedgerTransaction.created_at < datetime(year + 1, 1, 1, tzinfo=UTC))
    return query


def owns_receipt(account_id, transaction_id):
    return db.session.scalar(select(LedgerTransaction.id).where(
        LedgerTransaction.id == transaction_id, LedgerTransaction.account_id == account_id,
        LedgerTransaction.type.in_(RECEIPT_TYPES))) is not None
