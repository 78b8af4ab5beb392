"""The tariff API stores only what the rating engine accepts, in the engine's words when it
refuses: peak schedules, caller prefixes, ban prefixes; and what it stores, the engine rates with."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import BanPlan, PeakSchedule, RetailPlan, VoipPlan
from portal.tariffs.cache import rating_engine

PEAK = {"timezone": "Europe/London", "weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "19:00"}


def create_plan(api, **peak):
    return api.post("/retail-plans", json={"name": "Retail", "currency": "EUR", "peak": PEAK | peak})


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("peak", "field", "message"), [
    ({"start": "08:00:30"}, "start", "HH:MM"),
    ({"end": "19:00:00"}, "end", "HH:MM"),
    ({"start": "٠٨:٠٠"}, "start", "HH:MM"),
    ({"start": "8"}, "start", "HH:MM"),
    ({"start": None}, "start", "local time"),
    ({"timezone": "Europe/Londn"}, "timezone", "unknown time zone"),
    ({"weekdays": ["mon"]}, "weekdays", "weekdays"),
    ({"weekdays": []}, "weekdays", "weekdays"),
    ({"weekdays": [True]}, "weekdays", "weekdays"),
    ({"weekdays": "0,1"}, "weekdays", "weekdays"),
    ({"holidays": "XX"}, "holidays", "unknown holiday calendar"),
    ({"holidays": "gb"}, "holidays", "unknown holiday calendar"),
    ({"holidays": "GB-XXX"}, "holidays", "unknown holiday calendar"),
    ({"holidays": 44}, "holidays", "unknown holiday calendar"),
    ({"extra_holidays": ["2026-02-30"]}, "extra_holidays", "a date such as"),
    ({"extra_holidays": "2026-12-24"}, "extra_holidays", "collection of dates"),
])
def test_a_peak_schedule_the_engine_refuses_is_refused_with_its_reason(app, api, peak, field, message):
    response = create_plan(api, **peak)
    assert response.status_code == 400
    assert message in response.get_json()["error"]["fields"][f"peak.{field}"]
    assert count(app, PeakSchedule) == count(app, RetailPlan) == 0


def test_every_bad_value_of_a_peak_schedule_is_named_in_one_answer(api):
    response = create_plan(api, timezone="Mars/Base", weekdays=[9], start="8am", end="25:00", holidays="XX",
                           extra_holidays=["soon"])
    assert sorted(response.get_json()["error"]["fields"]) == [
        "peak.end", "peak.extra_holidays", "peak.holidays", "peak.start", "peak.timezone", "peak.weekdays"]


@pytest.mark.parametrize(("peak", "answer"), [
    ({"start": "20:00", "end": "08:00"}, {"start": "20:00", "end": "08:00"}),
    ({"start": "00:00", "end": "00:00"}, {"start": "00:00", "end": "00:00"}),
    ({"holidays": "GB-ENG"}, {"holidays": "GB-ENG"}),
    ({"weekdays": [4, 0, 4], "extra_holidays": ["2026-12-31", "2026-12-24"]},
     {"weekdays": [0, 4], "extra_holidays": ["2026-12-24", "2026-12-31"]}),
])
def test_a_peak_schedule_the_engine_takes_is_stored_as_it_took_it(api, peak, answer):
    response = create_plan(api, **peak)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["peak"].items() >= answer.items()


def test_an_overnight_peak_window_created_through_the_api_is_rated_as_the_day_it_opened(app, api):
    plan = create_plan(api, start="20:00", end="08:00", holidays="GB-ENG").get_json()
    api.post(f"/retail-plans/{plan['id']}/rates", json={"rates": [{"prefix": "44", "rate": "0.01",
                                                                   "rate_peak": "0.02", "t1": 60, "t2": 60}]})
    voip = api.post("/voip-plans", json={"name": "V", "retail_plans": [{"id": plan["id"]}]}).get_json()
    friday_night, sunday_night = datetime(2026, 6, 6, 1, 0, tzinfo=UTC), datetime(2026, 6, 8, 1, 0, tzinfo=UTC)
    with app.app_context():
        engine = rating_engine()
        assert engine.rate(voip["id"], "", "441614960000", friday_night, 60).price == Decimal("0.0200")
        assert engine.rate(voip["id"], "", "441614960000", sunday_night, 60).price == Decimal("0.0100")


@pytest.fixture
def retail_id(api):
    return api.post("/retail-plans", json={"name": "Retail", "currency": "EUR"}).get_json()["id"]


@pytest.mark.parametrize("caller_prefix", ["٤٤", "+44", "44a", "4 4"])
def test_a_caller_prefix_that_is_not_ascii_digits_is_refused(app, api, retail_id, caller_prefix):
    response = api.post("/voip-plans", json={"name": "V", "retail_plans": [
        {"id": retail_id, "caller_prefix": caller_prefix}]})
    assert response.status_code == 400
    assert "caller_prefix must be" in response.get_json()["error"]["fields"]["retail_plans[0].caller_prefix"]
    assert count(app, VoipPlan) == 0


def test_a_caller_prefix_is_stored_as_the_engine_read_it(api, retail_id):
    response = api.post("/voip-plans", json={"name": "V", "retail_plans": [
        {"id": retail_id, "caller_prefix": " 44 "}, {"id": retail_id}]})
    assert response.status_code == 201
    assert response.get_json()["retail_plans"] == [{"id": retail_id, "caller_prefix": "44", "priority": 0},
                                                   {"id": retail_id, "caller_prefix": "", "priority": 0}]


def test_each_ban_prefix_the_engine_refuses_is_named(app, api):
    response = api.post("/ban-plans", json={"name": "B", "prefixes": ["1900", "١٩٠٠", "+44909", 44909]})
    assert response.status_code == 400
    assert sorted(response.get_json()["error"]["fields"]) == ["prefixes[1]", "prefixes[2]", "prefixes[3]"]
    assert count(app, BanPlan) == 0
