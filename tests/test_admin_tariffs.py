"""Admin tariff forms keep the rules the rating engine relies on, and warn when the tariffs
cannot all be loaded."""
import html
import re
from datetime import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    BanPrefix,
    CarrierPlan,
    CarrierRate,
    PeakSchedule,
    Provider,
    RetailPlan,
    RetailRate,
    VoipPlan,
    VoipPlanRetailPlan,
)
from portal.tariffs.cache import rating_engine
from tests import factories


def test_admin_refuses_a_retail_plan_in_another_currency(app, runner, client, auth):
    assert runner.invoke(args=["demo", "--calls", "0"]).exit_code == 0
    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        db.session.commit()
        plan_id = db.session.scalar(select(VoipPlan.id).where(VoipPlan.name == "Business EUR"))
        usd_id = db.session.scalar(select(RetailPlan.id).where(RetailPlan.currency == "USD"))
    auth.login("boss@example.com", factories.PASSWORD)
    page = client.get(f"/admin/voipplan/edit/?id={plan_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/voipplan/edit/?id={plan_id}", data={
        "csrf_token": token, "name": "Business EUR", "currency": "EUR", "retail_links-0-retail_plan": str(usd_id),
        "retail_links-0-caller_prefix": "", "retail_links-0-priority": "0"})
    assert "Retail plans not in EUR" in response.get_data(as_text=True)
    with app.app_context():
        links = db.session.get(VoipPlan, plan_id).retail_links
        assert {link.retail_plan.currency for link in links} == {"EUR"}


def test_admin_edits_a_record_keeping_its_unique_name(app, client, auth):
    from portal.models import Provider

    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        provider = Provider(name="Atlas", priority=1)
        db.session.add(provider)
        db.session.commit()
        provider_id = provider.id
    auth.login("boss@example.com", factories.PASSWORD)
    page = client.get(f"/admin/provider/edit/?id={provider_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/provider/edit/?id={provider_id}", data={
        "csrf_token": token, "name": "Atlas", "priority": "5", "description": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Provider, provider_id).priority == 5


@pytest.fixture
def admin_client(app, client, auth):
    """A signed-in admin, a EUR retail plan (id in `retail`), and `post(path, data)` through the
    form with its CSRF token."""
    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        plan = RetailPlan(name="Retail", currency="EUR")
        db.session.add(plan)
        db.session.commit()
        retail = plan.id
    auth.login("boss@example.com", factories.PASSWORD)

    def post(path, data):
        page = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return client.post(path, data={"csrf_token": token, **data})

    return SimpleNamespace(post=post, retail=retail)


RATE = {"prefix": "44", "number": "", "destination": "UK", "rate": "0.02", "rate_peak": "", "connect_fee": "0",
        "t1": "1", "t2": "1", "effective_from": "", "effective_to": ""}
SCHEDULE = {"name": "Hours", "timezone": "Europe/London", "weekdays": "0,1,2,3,4", "start_time": "08:00",
            "end_time": "19:00", "holiday_country": "GB"}
VOIP = {"name": "V", "currency": "EUR", "retail_links-0-caller_prefix": "", "retail_links-0-priority": "0"}

#: (form, fields, model it must not reach, the engine's words)
REFUSED = [
    ("retail_rates", RATE | {"prefix": "+44"}, RetailRate, "prefix must be 1 to 15 digits"),
    ("retail_rates", RATE | {"prefix": "٤٤"}, RetailRate, "prefix must be 1 to 15 digits"),
    ("retail_rates", RATE | {"prefix": "", "number": "12"}, RetailRate, "number must be 3 to 15 digits"),
    ("retail_rates", RATE | {"prefix": ""}, RetailRate, "exactly one of prefix and number"),
    ("carrier_rates", RATE | {"prefix": "44a"}, CarrierRate, "prefix must be 1 to 15 digits"),
    ("peakschedule", SCHEDULE | {"timezone": "Europe/Londn"}, PeakSchedule, "unknown time zone"),
    ("peakschedule", SCHEDULE | {"weekdays": "mon"}, PeakSchedule, "weekdays are one or more of 0 (Monday) to 6 (Sunday)"),
    ("peakschedule", SCHEDULE | {"weekdays": "0,1,9"}, PeakSchedule, "weekdays are one or more of 0 (Monday) to 6 (Sunday)"),
    ("peakschedule", SCHEDULE | {"holiday_country": "XX"}, PeakSchedule, "unknown holiday calendar"),
    ("peakschedule", SCHEDULE | {"holiday_country": "GB-XXX"}, PeakSchedule, "unknown holiday calendar"),
    ("peakschedule", SCHEDULE | {"start_time": "08:00:30"}, PeakSchedule, "set to the minute"),
    ("banplan", {"name": "B", "prefixes-0-prefix": "44a"}, BanPrefix, "ban prefix must be 1 to 15 digits"),
    ("banplan", {"name": "B", "prefixes-0-prefix": "١٩٠٠"}, BanPrefix, "ban prefix must be 1 to 15 digits"),
    ("voipplan", VOIP | {"retail_links-0-caller_prefix": "٤٤"}, VoipPlanRetailPlan, "caller_prefix must be"),
    ("voipplan", VOIP | {"retail_links-0-caller_prefix": "+44"}, VoipPlanRetailPlan, "caller_prefix must be"),
]


@pytest.mark.parametrize(("form", "fields", "model", "message"), REFUSED,
                         ids=[f"{form}-{message}" for form, _, _, message in REFUSED])
def test_admin_refuses_what_the_rating_engine_would_refuse_in_its_words(app, admin_client, form, fields, model,
                                                                         message):
    if form.endswith("_rates"):
        fields = fields | {"plan": str(admin_client.retail)}
    if form == "carrier_rates":
        with app.app_context():
            plan = CarrierPlan(name="Carrier", currency="EUR", provider=Provider(name="Atlas"))
            db.session.add(plan)
            db.session.commit()
            fields["plan"] = str(plan.id)
    if form == "voipplan":
        fields = fields | {"retail_links-0-retail_plan": str(admin_client.retail)}
    response = admin_client.post(f"/admin/{form}/new/", fields)
    assert response.status_code == 200 and message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


@pytest.mark.parametrize(("form", "fields", "model"), [
    ("retail_rates", RATE, RetailRate),
    ("peakschedule", SCHEDULE | {"start_time": "20:00", "end_time": "08:00", "holiday_country": "GB-ENG"},
     PeakSchedule),
    ("banplan", {"name": "B", "prefixes-0-prefix": "1900"}, BanPrefix),
    ("voipplan", VOIP | {"retail_links-0-caller_prefix": "44"}, VoipPlanRetailPlan),
])
def test_admin_stores_what_the_rating_engine_takes(app, admin_client, form, fields, model):
    if form == "retail_rates":
        fields = fields | {"plan": str(admin_client.retail)}
    if form == "voipplan":
        fields = fields | {"retail_links-0-retail_plan": str(admin_client.retail)}
    assert admin_client.post(f"/admin/{form}/new/", fields).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(model)) == 1


def test_tariff_pages_warn_while_the_newest_tariffs_cannot_all_be_loaded(app, admin_client, client):
    with app.app_context():
        rating_engine()
        schedule = PeakSchedule(name="Broken", timezone="Europe/Londn", weekdays="0", start_time=time(8),
                                end_time=time(19))
        db.session.add(schedule)
        db.session.commit()
        rating_engine()  # as the next call to be rated would
        schedule_id = schedule.id
    page = html.unescape(client.get("/admin/retail_rates/").get_data(as_text=True))
    assert "Rating still uses tariff version" in page
    assert f"peak schedule {schedule_id} 'Broken': peak timezone: unknown time zone: 'Europe/Londn'" in page
    with app.app_context():
        db.session.get(PeakSchedule, schedule_id).timezone = "Europe/London"
        db.session.commit()
        rating_engine()
    assert "Rating still uses" not in client.get("/admin/retail_rates/").get_data(as_text=True)


def test_the_calls_list_shows_price_and_cost_with_their_places_and_currencies(app, client, auth):
    """A call's price keeps its four places in the account's currency, its cost in the carrier's."""
    from portal.models import Cdr
    from portal.models.types import utcnow

    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        account = factories.account(code="7001", currency="USD")
        db.session.add(Cdr(uuid="list-1", account_id=account.id, account_code="7001", caller="1", callee="4930",
                           number="4930", start=utcnow(), billsec=60, billable_seconds=60, price=Decimal("0.0679"),
                           currency="USD", cost=Decimal("0.0144"), cost_currency="EUR", status="rated"))
        db.session.commit()
    auth.login("boss@example.com", factories.PASSWORD)
    page = client.get("/admin/cdr/").get_data(as_text=True)
    assert "$0.0679" in page and "€0.0144" in page
