"""Daily traffic for the dashboard chart: calls, answered calls, billed minutes and revenue per
currency for each UTC day, summed in the database so a month of millions of calls stays cheap."""
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.models import Cdr
from portal.models.types import utcnow


def daily_traffic(days=30, now=None):
    """{days, calls, answered, minutes, revenue: {currency: [amount per day]}}, oldest day first.
    Minutes and amounts are Decimal; a day without calls is there with zeros."""
    today = (now or utcnow()).astimezone(UTC).date()
    labels = [today - timedelta(days=days - 1 - n) for n in range(days)]
    since = datetime.combine(labels[0], time(), UTC)
    day = func.date(Cdr.start)
    rows = db.session.execute(
        select(day, Cdr.currency, func.count(), func.sum(case((Cdr.billsec > 0, 1), else_=0)),
               func.sum(Cdr.billable_seconds), func.sum(Cdr.price))
        .where(Cdr.start >= since).group_by(day, Cdr.currency)).all()
    index = {str(label): n for n, label in enumerate(labels)}
    calls, answered, seconds = [0] * days, [0] * days, [0] * days
    revenue = defaultdict(lambda: [Decimal(0)] * days)
    for when, currency, count, live, billed, price in rows:
        n = index.get(str(when))
        if n is None:  # a call stamped in the future by a switch's clock: not a day of this chart
            continue
        calls[n] += count
        answered[n] += live or 0
        seconds[n] += billed or 0
        if currency:
            revenue[currency][n] += price or Decimal(0)
    return {"days": [str(label) for label in labels], "calls": calls, "answered": answered,
            "minutes": [Decimal(s) / 60 for s in seconds], "revenue": dict(sorted(revenue.items()))}
