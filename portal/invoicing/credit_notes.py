"""Credit notes: the only correction of an issued invoice (CN-2026-000001), with its own PDF and a
"credit_note" ledger transaction that points, through the note, at the invoice it corrects.

A full credit note gives back the whole invoice and undoes it in the ledger exactly: the customer
gets the total back, and each system account (call revenue, fee revenue, adjustments, tax payable)
loses precisely what the invoice's calls and close put there; the carrier costs stay, the calls
happened. A partial credit note gives back a net amount plus its tax at the invoice's rate, booked
against adjustments and tax payable. Together they never give back more than the invoice.
"""
from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.invoicing.amounts import tax_on, to_minor
from portal.invoicing.documents import Document
from portal.invoicing.errors import AlreadyCredited, CreditExceedsInvoice, NotAnInvoice, ReasonRequired
from portal.invoicing.numbering import next_number
from portal.invoicing.pdf import sha256
from portal.ledger.accounts import customer_ledger, system_ledger
from portal.ledger.journal import post
from portal.ledger.locks import lock_account
from portal.ledger.operations import clear_limit_flag
from portal.models import Cdr, Invoice, InvoiceLine, LedgerAccount, LedgerTransaction, Posting
from portal.models.types import utcnow
from portal.rating.money import ZERO, to_decimal


def issue_credit_note(invoice, reason, actor=audit.SYSTEM, amount=None):
    """Credit `invoice` in full (amount None) or by a net `amount` plus tax. Flushes; returns the note."""
    if invoice.kind != "invoice":
        raise NotAnInvoice(f"{invoice.number} is a credit note; credit the invoice it corrects.")
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("A credit note needs a reason.", reason="required")
    account = lock_account(invoice.account_id)
    net_done, tax_done = credited(invoice)
    if amount is None:
        if net_done or tax_done:
            raise AlreadyCredited(f"{invoice.number} was partly credited already; credit the rest as an amount "
                                  f"(at most {invoice.subtotal - net_done}).", amount="required")
        net, tax, lines = invoice.subtotal, invoice.tax, list(invoice.lines)
        legs = _mirror(invoice, account)
    else:
        net = to_minor(to_decimal(amount), invoice.currency)
        left = invoice.subtotal - net_done
        if net <= 0 or net > left:
            raise CreditExceedsInvoice(f"A credit of {net} is not between 0 and what is left to credit, {left}.",
                                       amount=f"at most {left}")
        tax = invoice.tax - tax_done if net == left else min(tax_on(net, invoice.tax_rate, invoice.currency),
                                                               invoice.tax - tax_done)
        lines = [InvoiceLine(position=1, kind="adjustment", description=f"Credit on {invoice.number}: {reason}"[:255],
                             quantity=to_decimal(1), unit="once", amount=net)]
        legs = [(customer_ledger(account), net + tax), (system_ledger("adjustments", account.currency), -net),
                (system_ledger("tax_payable", account.currency), -tax)]

    issued_at = utcnow()
    number = next_number("credit_note", issued_at.year)
    note = Invoice(number=number, kind="credit_note", account_id=account.id, period=invoice.period,
                   period_start=invoice.period_start, period_end=invoice.period_end, currency=invoice.currency,
                   issued_at=issued_at, status="issued", tax_rate=invoice.tax_rate, subtotal=net, tax=tax,
                   total=net + tax, corrects_invoice_id=invoice.id, note=reason,
                   lines=[InvoiceLine(position=n, kind=line.kind, description=line.description, quantity=line.quantity,
                                      unit=line.unit, amount=line.amount) for n, line in enumerate(lines, 1)])
    note.pdf = Document.of(note, account, corrects=invoice.number).render()
    note.pdf_sha256 = sha256(note.pdf)
    db.session.add(note)
    db.session.flush()
    post("credit_note", legs, account=account, amount=net + tax, currency=account.currency,
         description=f"Credit note {number} for {invoice.number}: {reason}", actor=actor, invoice_id=note.id,
         created_at=issued_at)
    clear_limit_flag(account)
    if net_done + net == invoice.subtotal and tax_done + tax == invoice.tax:
        invoice.status = "credited"
    db.session.flush()
    audit.record(actor, "credit_note_issued", "invoice", number, corrects=invoice.number, total=net + tax,
                 reason=reason)
    return note


def credited(invoice):
    """(net, tax) already credited on `invoice` by its credit notes."""
    net, tax = db.session.execute(select(func.coalesce(func.sum(Invoice.subtotal), ZERO),
                                         func.coalesce(func.sum(Invoice.tax), ZERO))
                                  .where(Invoice.corrects_invoice_id == invoice.id)).one()
    return to_decimal(net), to_decimal(tax)


def _mirror(invoice, account):
    """Legs that undo everything `invoice` did to the ledger: its own transactions (fees, included
    minutes, rounding, tax) and its calls' revenue; carrier costs are left alone."""
    customer = customer_ledger(account)
    totals = dict(db.session.execute(
        select(Posting.ledger_account_id, func.sum(Posting.amount))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .where(LedgerTransaction.invoice_id == invoice.id, Posting.ledger_account_id != customer.id)
        .group_by(Posting.ledger_account_id)).all())
    revenue = system_ledger("call_revenue", account.currency)
    calls = db.session.scalar(select(func.coalesce(func.sum(Cdr.price), ZERO)).where(Cdr.invoice_id == invoice.id))
    totals[revenue.id] = totals.get(revenue.id, ZERO) + to_decimal(calls)
    ledgers = {ledger.id: ledger for ledger in db.session.scalars(select(LedgerAccount)
                                                                  .where(LedgerAccount.id.in_(totals)))}
    return [(customer, invoice.total), *((ledgers[ledger_id], -total) for ledger_id, total in totals.items())]
