"""The account statement printed on an invoice: opening balance, payments, charges, closing balance.

It is the ledger seen through invoices. The opening balance is the previous invoice's closing one.
Call charges count on the invoice that bills their call, whenever they were posted (a call of the
31st may be posted on the 1st); everything else (payments, top-ups, refunds, adjustments, fees, tax,
credit notes) counts by when it was posted, after the previous invoice and up to this one. So the
closing balance is the ledger balance less the calls not invoiced yet, and
closing = opening + payments − charges, exactly.

A prepaid invoice also says how its total was paid from the balance: the usage (its calls, after
included minutes, as its lines in minutes bill them) and the fees and tax taken at the close. Both
come from the stored lines, so a stored invoice always reproduces them; in the ledger the usage is
what its calls were charged plus the close's included-minute credits and rounding, and the rest is
the close's fee and tax transactions.
"""
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select

from portal.extensions import db
from portal.invoicing.amounts import to_minor
from portal.ledger.accounts import customer_ledger
from portal.models import Invoice, LedgerTransaction, Posting
from portal.rating.money import ZERO

#: Money in (and refunds of it) rather than charges.
PAYMENT_TYPES = ("payment", "voucher", "return")
#: The unit of the lines that bill calls: per destination, and the included minutes given back.
USAGE_UNIT = "min"


class Statement(NamedTuple):
    opening: Decimal
    payments: Decimal
    #: Net debits: positive when the customer was charged more than credited.
    charges: Decimal
    closing: Decimal


def previous_invoice(account_id):
    return db.session.scalar(select(Invoice).where(Invoice.account_id == account_id, Invoice.kind == "invoice")
                             .order_by(Invoice.issued_at.desc(), Invoice.id.desc()).limit(1))


def statement(account, calls_total, close_postings):
    """The statement of an invoice about to be issued (the account is locked): `calls_total` is the
    sum of its calls' prices, `close_postings` the customer's side of what the close will post."""
    previous = previous_invoice(account.id)
    opening = previous.closing_balance if previous is not None else ZERO
    query = (select(LedgerTransaction.type, func.sum(Posting.amount))
             .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
             .where(Posting.ledger_account_id == customer_ledger(account).id, LedgerTransaction.cdr_id.is_(None))
             .group_by(LedgerTransaction.type))
    if previous is not None:
        query = query.where(LedgerTransaction.created_at > previous.issued_at)
    sums = db.session.execute(query).all()
    payments = sum((total for type_, total in sums if type_ in PAYMENT_TYPES), ZERO)
    others = sum((total for type_, total in sums if type_ not in PAYMENT_TYPES), ZERO)
    closing = opening + payments + others - calls_total + close_postings
    return Statement(opening, payments, opening + payments - closing, closing)


def usage(lines):
    """What an invoice's calls cost after included minutes: the sum of its lines metered in minutes."""
    return sum((line.amount for line in lines if line.unit == USAGE_UNIT), ZERO)


def amount_due(closing, currency):
    """What the closing balance leaves to pay, in the currency's minor unit (never negative)."""
    return max(to_minor(-closing, currency), ZERO)
