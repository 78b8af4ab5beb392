"""Receipts: a PDF for every payment and top-up, rendered from its ledger transaction.

A receipt is made on demand rather than stored: everything it prints comes from the transaction and
the postings up to it, which never change, and the renderer is deterministic (the PDF's date is
the payment's), so the same receipt downloads byte for byte the same.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.invoicing.documents import Formatter, Party
from portal.invoicing.errors import NoReceipt
from portal.invoicing.pdf import render_pdf
from portal.ledger.accounts import customer_ledger
from portal.models import LedgerTransaction, Posting
from portal.rating.money import to_decimal

RECEIPT_TYPES = {"payment": "Payment", "voucher": "Voucher top-up"}


@dataclass
class Receipt:
    kind: str
    number: str
    issued_at: datetime
    customer: Party
    method: str
    description: str
    amount: Decimal
    balance_after: Decimal
    title: str = "Receipt"


def receipt_number(transaction_id):
    return f"RCPT-{transaction_id:08d}"


def receipt_pdf(transaction_id):
    """The receipt of a payment or voucher top-up, or NoReceipt."""
    transaction = db.session.get(LedgerTransaction, transaction_id)
    if transaction is None or transaction.type not in RECEIPT_TYPES or transaction.account is None:
        raise NoReceipt(f"Transaction {transaction_id} is not a payment or top-up.")
    account = transaction.account
    balance_after = db.session.scalar(select(func.sum(Posting.amount)).where(
        Posting.ledger_account_id == customer_ledger(account).id, Posting.transaction_id <= transaction.id))
    receipt = Receipt("receipt", receipt_number(transaction.id), transaction.created_at, Party.of(account),
                      RECEIPT_TYPES[transaction.type], transaction.description, transaction.amount,
                      to_decimal(balance_after))
    return render_pdf("receipts/receipt.html", doc=receipt,
                      fmt=Formatter(transaction.currency, account.language, account.timezone))
