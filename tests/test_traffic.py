"""The dashboard's traffic chart sums the right calls into the right UTC day, money exact."""
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

from portal.extensions import db
from portal.models import Cdr
from portal.models.types import utcnow
from portal.traffic import daily_traffic
from tests import factories

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _call(account, uuid, start, billsec, price, currency):
    db.session.add(Cdr(uuid=uuid, account_id=account.id, account_code=account.code, caller="1", callee="4930",
                       number="4930", start=start, billsec=billsec, billable_seconds=billsec, price=Decimal(price),
                       currency=currency, status="rated"))


def _calls(app):
    with app.app_context():
        eur, usd = factories.account(currency="EUR"), factories.account(currency="USD")
        _call(eur, "a", datetime(2026, 11, 30, 0, 0, 1, tzinfo=UTC), 90, "0.0150", "EUR")
        _call(eur, "b", datetime(2026, 11, 30, 23, 59, 0, tzinfo=UTC), 0, "0", "EUR")
        _call(usd, "c", datetime(2026, 11, 30, 8, 0, tzinfo=UTC), 30, "0.0101", "USD")
        _call(eur, "d", datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC), 60, "0.0200", "EUR")
        _call(eur, "e", datetime(2026, 10, 1, 10, 0, tzinfo=UTC), 60, "9.9999", "EUR")  # before the chart
        db.session.commit()


def test_calls_minutes_and_revenue_per_utc_day(app):
    _calls(app)
    with app.app_context():
        traffic = daily_traffic(days=3, now=NOW)
    assert traffic["days"] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert traffic["calls"] == [0, 1, 3]
    assert traffic["answered"] == [0, 1, 2]
    assert traffic["minutes"] == [0, 1, 2]
    assert traffic["revenue"] == {"EUR": [Decimal(0), Decimal("0.0200"), Decimal("0.0150")],
                                  "USD": [Decimal(0), Decimal(0), Decimal("0.0101")]}
    assert all(isinstance(amount, Decimal) for amounts in traffic["revenue"].values() for amount in amounts)


def test_the_dashboard_carries_the_chart_and_its_figures(app, client, auth):
    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        db.session.commit()
    with app.app_context():
        _call(factories.account(currency="USD"), "now", utcnow(), 60, "0.0500", "USD")
        db.session.commit()
    auth.login("boss@example.com", factories.PASSWORD)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="traffic-calls"' in page and "chart.umd.min.js" in page
    data = json.loads(re.search(r'<script type="application/json" id="traffic-data">(.*?)</script>', page).group(1))
    assert len(data["days"]) == 30 and data["calls"][-1] == 1
    assert {currency: [Decimal(a) for a in amounts] for currency, amounts in data["revenue"].items()} == \
        {"USD": [Decimal(0)] * 29 + [Decimal("0.05")]}
