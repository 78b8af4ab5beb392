"""The calls an invoice bills: rated, not yet invoiced, started before the period's end (late CDRs
of earlier months come along, on lines of their own), summed per destination."""
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select, update

from portal.extensions import db
from portal.invoicing.errors import ConcurrentChange
from portal.models import Cdr

#: SQLite allows a limited number of bound values per statement.
CHUNK = 500


class UsageCall(NamedTuple):
    id: int
    start: object
    number: str
    destination_prefix: str
    destination: str
    billable_seconds: int
    price: Decimal
    trace: dict | None = None


class UsageLine(NamedTuple):
    description: str
    calls: int
    seconds: int
    #: The sum of the calls' prices, before the invoice rounds it.
    exact: Decimal


def uninvoiced_calls(account_id, end, with_trace=False):
    """The account's calls to bill, in call order; traces only when plans need them."""
    columns = [Cdr.id, Cdr.start, Cdr.number, Cdr.destination_prefix, Cdr.destination, Cdr.billable_seconds,
               Cdr.price, *([Cdr.trace] if with_trace else [])]
    rows = db.session.execute(
        select(*columns)
        .where(Cdr.account_id == account_id, Cdr.status == "rated", Cdr.invoice_id.is_(None), Cdr.start < end)
        .order_by(Cdr.start, Cdr.id)).all()
    return [UsageCall(*row) for row in rows]


def billed(call):
    """Unanswered calls cost nothing and make no line; they are still marked invoiced."""
    return bool(call.billable_seconds or call.price)


def usage_lines(calls, period_start, period_label):
    """One line per destination; calls from before the period (late CDRs) on lines of their own."""
    groups = defaultdict(lambda: [0, 0, Decimal(0)])
    for call in calls:
        if billed(call):
            group = groups[(call.start < period_start, call.destination, call.destination_prefix)]
            group[0] += 1
            group[1] += call.billable_seconds or 0
            group[2] += call.price
    lines = []
    for (late, destination, prefix), (count, seconds, exact) in sorted(groups.items()):
        calls_text = f"{count} call{'s' if count != 1 else ''}"
        when = f", made before {period_label}" if late else ""
        lines.append(UsageLine(f"{destination or 'Other'} (+{prefix}): {calls_text}{when}", count, seconds, exact))
    return lines


def mark_invoiced(call_ids, invoice_id, traces):
    """Write the new traces (bundle minutes), then stamp every call with its invoice: from now on
    neither re-rating nor anything else changes them. Refuses if some call was invoiced meanwhile."""
    table = Cdr.__table__
    if traces:
        db.session.execute(update(table).where(table.c.id == bindparam("call_id"), table.c.invoice_id.is_(None))
                           .values(trace=bindparam("new_trace")),
                           [{"call_id": call_id, "new_trace": trace} for call_id, trace in traces.items()])
    marked = 0
    for start in range(0, len(call_ids), CHUNK):
        result = db.session.execute(update(table).where(table.c.id.in_(call_ids[start:start + CHUNK]),
                                                        table.c.invoice_id.is_(None)).values(invoice_id=invoice_id))
        marked += result.rowcount
    if marked != len(call_ids):
        raise ConcurrentChange(f"{len(call_ids) - marked} call(s) changed during the close; nothing was issued.")

