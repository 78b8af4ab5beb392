"""The monthly close of one account: its calls, plans and products for a month become an issued,
numbered, immutable invoice with its PDF, in one database transaction.

What the ledger sees (DESIGN §4). Calls were charged one by one when their CDRs arrived, so the
invoice only summarizes them; the close posts, each transaction pointing at the invoice:

- fee: every plan and product fee (customer −, fee revenue +);
- call_reversal: the part of the calls that included minutes cover (customer +, call revenue −);
- adjustment: what rounding the usage lines to the currency's minor unit added or removed;
- tax: round(subtotal × rate / 100) (customer −, tax payable +).

So the customer's ledger moves by exactly the invoice total over the invoice's calls and the close.
The invoice row is written once, complete with its PDF, and never updated (DESIGN §1).
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.invoicing import bundles
from portal.invoicing.amounts import minutes, tax_on, to_minor
from portal.invoicing.documents import AnnexCall, Document
from portal.invoicing.errors import CurrencyMismatch, PeriodNotOver
from portal.invoicing.numbering import next_number
from portal.invoicing.pdf import sha256
from portal.invoicing.period import timezone
from portal.invoicing.products import allowance, plans_of, products_of
from portal.invoicing.statement import USAGE_UNIT, statement
from portal.invoicing.usage import billed, mark_invoiced, uninvoiced_calls, usage_lines
from portal.ledger.accounts import customer_ledger, system_ledger
from portal.ledger.journal import post
from portal.ledger.locks import lock_account
from portal.ledger.operations import update_limit_flag
from portal.models import Invoice, InvoiceLine
from portal.models.types import utcnow
from portal.rating.money import ZERO, to_decimal
from portal.rating.trace import text

ONE = to_decimal(1)


@dataclass
class Line:
    """An invoice line before it is stored: `exact` is what it sums before rounding to `amount`;
    `source` says what it is in the ledger: a fee, calls, or the calls' included minutes."""

    kind: str
    description: str
    quantity: Decimal
    unit: str
    amount: Decimal
    exact: Decimal
    source: str


@dataclass
class Entry:
    """A transaction the close will post: the customer's side and where the other side goes."""

    type: str
    customer: Decimal
    ledger: str
    description: str


def existing_invoice(account_id, period):
    return db.session.scalar(select(Invoice).where(Invoice.account_id == account_id, Invoice.period == str(period),
                                                   Invoice.kind == "invoice"))


@dataclass
class PreparedClose:
    """An invoice numbered and ready to print, not yet stored: what `finish_close` needs once its
    PDF is rendered (by this process, or by another while this one prepares the next)."""

    account: object
    invoice: Invoice
    document: Document
    entries: list
    plans: list
    calls: list
    coverage: list


def close_account(account_id, period, actor=audit.SYSTEM, annex=False, now=None):
    """Issue the account's invoice for `period`; None when it has one already or nothing to bill.
    Flushes; the caller commits (or rolls back, and then no number was used)."""
    prepared = prepare_close(account_id, period, annex=annex, now=now)
    if prepared is None:
        return None
    return finish_close(prepared, prepared.document.render(), actor)


def prepare_close(account_id, period, annex=False, now=None):
    """Everything of the close up to the PDF: the account locked, the lines, the statement and the
    number taken. None when the account has its invoice already or nothing to bill. Refusals
    (a plan in another currency, a month not over) come before the number is taken."""
    account = lock_account(account_id)
    if existing_invoice(account.id, period) is not None:
        return None
    start, end = period.bounds(account.timezone)
    if end > (now or utcnow()):
        raise PeriodNotOver(f"{period} has not ended yet for account {account.code} ({account.timezone}).",
                            period=str(period))
    plans, products = plans_of(account.id, period), products_of(account.id, period)
    calls = uninvoiced_calls(account.id, end, with_trace=bool(plans))
    if not (calls or plans or products):
        return None
    for assignment, offer in [*((p, p.plan) for p in plans), *((p, p.product) for p in products)]:
        if offer.currency != account.currency:
            raise CurrencyMismatch(f"{offer.name} is in {offer.currency}, account {account.code} in "
                                   f"{account.currency}.", assignment=assignment.id)

    coverage = bundles.allocate(_bundle_calls(calls, start), [allowance(p) for p in plans])
    lines = [*_fee_lines(plans, products, period.label, account.currency),
             *(Line("usage", u.description, minutes(u.seconds), USAGE_UNIT, to_minor(u.exact, account.currency),
                    u.exact, "calls") for u in usage_lines(calls, start, period.label)),
             *_included_lines(plans, coverage, account.currency)]
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = tax_on(subtotal, account.tax_rate, account.currency)
    entries = _entries(lines, tax)

    issued_at = utcnow()
    calls_total = sum((call.price for call in calls), ZERO)
    account_statement = statement(account, calls_total, sum((entry.customer for entry in entries), ZERO))
    number = next_number("invoice", issued_at.year)
    due_date = None
    if account.billing == "postpaid":
        issued_on = issued_at.astimezone(timezone(account.timezone)).date()
        due_date = issued_on + timedelta(days=current_app.config["PAYMENT_TERMS_DAYS"])

    invoice = Invoice(number=number, kind="invoice", account_id=account.id, period=str(period), period_start=start,
                      period_end=end, currency=account.currency, issued_at=issued_at, due_date=due_date,
                      status="issued", tax_rate=account.tax_rate, subtotal=subtotal, tax=tax, total=subtotal + tax,
                      opening_balance=account_statement.opening, payments=account_statement.payments,
                      charges=account_statement.charges, closing_balance=account_statement.closing, note="",
                      lines=[InvoiceLine(position=n, kind=line.kind, description=line.description[:255],
                                         quantity=line.quantity, unit=line.unit, amount=line.amount)
                             for n, line in enumerate(lines, 1)])
    document = Document.of(invoice, account, _annex(calls, coverage) if annex else None)
    return PreparedClose(account, invoice, document, entries, plans, calls, coverage)


def finish_close(prepared, pdf, actor=audit.SYSTEM):
    """Store the prepared invoice with its PDF and post what it bills to the ledger."""
    account, invoice, entries = prepared.account, prepared.invoice, prepared.entries
    plans, calls, coverage = prepared.plans, prepared.calls, prepared.coverage
    number, issued_at, period = invoice.number, invoice.issued_at, invoice.period
    invoice.pdf = pdf
    invoice.pdf_sha256 = sha256(pdf)
    db.session.add(invoice)
    db.session.flush()

    expected = account.balance + sum((entry.customer for entry in entries), ZERO)
    for entry in entries:
        post(entry.type, [(customer_ledger(account), entry.customer),
                          (system_ledger(entry.ledger, account.currency), -entry.customer)],
             account=account, amount=entry.customer, currency=account.currency,
             description=f"{entry.description} ({number})", actor=actor, invoice_id=invoice.id,
             created_at=issued_at)
    for assignment in plans:
        if assignment.initial_charge_invoice_id is None:
            assignment.initial_charge_invoice_id = invoice.id
    mark_invoiced([call.id for call in calls], invoice.id, _traces(calls, coverage, plans, number))
    update_limit_flag(account)
    db.session.flush()
    if account.balance != expected:
        raise RuntimeError(f"balance of {account.code} is {account.balance}, expected {expected}")
    audit.record(actor, "invoice_issued", "invoice", number, account=account.code, period=period,
                 total=invoice.total, calls=len(calls))
    return invoice


def _annex(calls, coverage):
    """Every billed call, at what it costs after included minutes."""
    by_call = {c.call_id: c for c in coverage}
    return [AnnexCall(call.number, call.start, call.billable_seconds or 0,
                      by_call[call.id].price_after if call.id in by_call else call.price,
                      call.id in by_call and by_call[call.id].covered_seconds > 0)
            for call in calls if billed(call)]


def _bundle_calls(calls, start):
    """The period's own calls (late ones had their month's minutes), with their rate from the trace."""
    return [bundles.Call(call.id, call.number, call.billable_seconds or 0, call.price,
                         to_decimal(call.trace["rate"]), int(call.trace.get("decimals", 4)))
            for call in calls if call.start >= start and call.trace and "rate" in call.trace]


def _fee_lines(plans, products, month, currency):
    lines = []
    for assignment in plans:
        plan = assignment.plan
        fee = to_minor(plan.monthly_fee, currency)
        lines.append(Line("plan", f"{plan.name}: monthly fee, {month}", ONE, "month", fee, fee, "fee"))
        if assignment.initial_charge_invoice_id is None and assignment.initial_charge > 0:
            charge = to_minor(assignment.initial_charge, currency)
            lines.append(Line("plan", f"{plan.name}: initial charge", ONE, "once", charge, charge, "fee"))
    for assignment in products:
        product = assignment.product
        fee = to_minor(product.monthly_fee * assignment.quantity, currency)
        note = f" ({assignment.note})" if assignment.note else ""
        lines.append(Line("product", f"{product.name}{note}, {month}", to_decimal(assignment.quantity), "month",
                          fee, fee, "fee"))
    return lines


def _included_lines(plans, coverage, currency):
    """One credit line per plan whose minutes covered calls."""
    lines = []
    for assignment in plans:
        used = [c for c in coverage if c.allowance == assignment.id and c.covered_seconds]
        if not used:
            continue
        plan = assignment.plan
        seconds = sum(c.covered_seconds for c in used)
        credit = sum((c.credit for c in used), ZERO)
        of = "unlimited" if plan.unlimited else f"of {plan.included_minutes} min"
        calls = f"{len(used)} call{'s' if len(used) != 1 else ''}"
        description = f"{plan.name}: included minutes, {minutes(seconds)} {of} on {calls}"
        lines.append(Line("plan", description, minutes(seconds), USAGE_UNIT, -to_minor(credit, currency), -credit,
                          "included"))
    return lines


def _entries(lines, tax):
    """The close's transactions, in the customer's terms (negative: charged)."""
    entries = [Entry("fee", -line.amount, "fee_revenue", line.description)
               for line in lines if line.source == "fee" and line.amount]
    entries += [Entry("call_reversal", -line.exact, "call_revenue", line.description)
                for line in lines if line.source == "included"]
    rounding = sum((line.amount - line.exact for line in lines if line.source != "fee"), ZERO)
    if rounding:
        entries.append(Entry("adjustment", -rounding, "adjustments", "Call charges rounded to the invoice's minor unit"))
    if tax:
        entries.append(Entry("tax", -tax, "tax_payable", "Tax"))
    return entries


def _traces(calls, coverage, plans, number):
    """The new trace of every call that a plan matched: which plan, how much it covered, what is left."""
    names = {assignment.id: {"id": assignment.plan.id, "name": assignment.plan.name} for assignment in plans}
    traces = {call.id: call.trace for call in calls}
    updated = {}
    for c in coverage:
        bundle = {"plan": names[c.allowance], "assignment": c.allowance, "covered_seconds": c.covered_seconds,
                  "overflow_seconds": c.overflow_seconds, "price_after": text(c.price_after.normalize()),
                  "credit": text(c.credit.normalize()),
                  "invoice": number}
        if not c.covered_seconds:
            bundle["note"] = "included minutes used up: rated normally"
        elif c.overflow_seconds:
            bundle["note"] = "included minutes ran out during the call: the overflow is rated normally"
        updated[c.call_id] = {**traces[c.call_id], "bundle": bundle}
    return updated
