"""The database refuses tariff rows the rating engine could not load, the same way on SQLite and
PostgreSQL, and takes the ones it can (overnight peak windows, subdivision calendars)."""
from datetime import time

import pytest
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import (
    BanPlan,
    BanPrefix,
    CarrierRate,
    PeakSchedule,
    RetailPlan,
    RetailRate,
    VoipPlan,
    VoipPlanRetailPlan,
)


def schedule(**fields):
    return PeakSchedule(**({"name": "S", "timezone": "Europe/London", "weekdays": "0,1,2,3,4",
                            "start_time": time(8), "end_time": time(19), "holiday_country": "GB"} | fields))


def retail_rate(**fields):
    plan = RetailPlan(name="R", currency="EUR")
    return RetailRate(**({"plan": plan, "prefix": "44", "rate": 1} | fields))


def carrier_rate(**fields):
    from portal.models import CarrierPlan, Provider

    plan = CarrierPlan(name="C", currency="EUR", provider=Provider(name="P"))
    return CarrierRate(**({"plan": plan, "prefix": "44", "rate": 1} | fields))


def ban_prefix(**fields):
    return BanPrefix(ban_plan=BanPlan(name="B"), **fields)


def retail_link(**fields):
    return VoipPlanRetailPlan(voip_plan=VoipPlan(name="V", currency="EUR"),
                              retail_plan=RetailPlan(name="R", currency="EUR"), **fields)


REFUSED = [
    (retail_rate, {"prefix": "+44"}),
    (retail_rate, {"prefix": "٤٤"}),
    (retail_rate, {"prefix": "4 4"}),
    (retail_rate, {"prefix": ""}),
    (retail_rate, {"prefix": None, "number": "44"}),
    (retail_rate, {"prefix": None, "number": "44207946000x"}),
    (carrier_rate, {"prefix": "44a"}),
    (carrier_rate, {"prefix": None, "number": "12"}),
    (ban_prefix, {"prefix": "+1900"}),
    (ban_prefix, {"prefix": ""}),
    (ban_prefix, {"prefix": "١٩٠٠"}),
    (retail_link, {"caller_prefix": "٤٤"}),
    (retail_link, {"caller_prefix": "+44"}),
    (schedule, {"weekdays": "mon"}),
    (schedule, {"weekdays": ""}),
    (schedule, {"weekdays": "0,7"}),
    (schedule, {"holiday_country": "G"}),
    (schedule, {"holiday_country": "GBR"}),
    (schedule, {"holiday_country": "GB_ENG"}),
]
KEPT = [
    (schedule, {"start_time": time(20), "end_time": time(8)}),
    (schedule, {"start_time": time(0), "end_time": time(0)}),
    (schedule, {"holiday_country": "GB-ENG"}),
    (schedule, {"holiday_country": "BR-São Paulo Capital"}),
    (schedule, {"holiday_country": ""}),
    (retail_rate, {"prefix": "1"}),
    (retail_rate, {"prefix": "123456789012345"}),
    (retail_rate, {"prefix": None, "number": "112"}),
    (ban_prefix, {"prefix": "1900"}),
    (retail_link, {"caller_prefix": ""}),
    (retail_link, {"caller_prefix": "44"}),
]


def _ids(cases):
    return [f"{build.__name__}-{fields}" for build, fields in cases]


@pytest.mark.parametrize(("build", "fields"), REFUSED, ids=_ids(REFUSED))
def test_rows_the_engine_could_not_load_are_refused(app_ctx, build, fields):
    db.session.add(build(**fields))
    with pytest.raises(IntegrityError, match="(?i)check"):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("build", "fields"), KEPT, ids=_ids(KEPT))
def test_rows_the_engine_can_load_are_kept(app_ctx, build, fields):
    db.session.add(build(**fields))
    db.session.commit()
