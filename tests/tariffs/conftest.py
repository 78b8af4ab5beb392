"""A small tariff world built row by row, so each test can change one thing in it and see what
rating makes of it; and the JSON API client of tests/api."""
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.extensions import db
from portal.models import (
    BanPlan,
    BanPrefix,
    CarrierPlan,
    CarrierRate,
    DialRule,
    Gateway,
    PeakHoliday,
    PeakSchedule,
    Provider,
    RetailPlan,
    RetailRate,
    VoipPlan,
    VoipPlanRetailPlan,
)
from tests import factories
from tests.api.conftest import api  # noqa: F401  (a fixture)

#: Tuesday 23:00 in London: off-peak.
NIGHT = datetime(2026, 10, 6, 22, 0, tzinfo=UTC)
#: Tuesday 09:30 in London: peak.
MORNING = datetime(2026, 10, 6, 8, 30, tzinfo=UTC)
LONDON = "442079460000"
MANCHESTER = "441614960000"
UK_CALLER = "442071234567"


def _rate(model, prefix, rate, peak=None):
    return model(prefix=prefix, destination=f"dest {prefix}", rate=Decimal(rate),
                 rate_peak=None if peak is None else Decimal(peak), t1=60, t2=60)


def _carrier(name, priority, host, enabled=True, **rates):
    provider = Provider(name=name, priority=priority, enabled=enabled,
                        gateways=[Gateway(name=name.lower(), host=host)])
    return CarrierPlan(name=f"{name} EUR", currency="EUR", provider=provider,
                       rates=[_rate(CarrierRate, prefix, rate) for prefix, rate in rates.items()])


def build_world():
    """Retail (UK hours peak) and UK-callers retail plans on one VoIP plan; Atlas (enabled) and
    Borealis (disabled) carrier plans on it, Cosmos not; the Premium ban plan on it, Satellite not;
    global rules `+` and `00`; account 1001 on it. Returns the ids (and the app, for changes)."""
    schedule = PeakSchedule(name="UK hours", timezone="Europe/London", weekdays="0,1,2,3,4", start_time=time(8),
                            end_time=time(19), holiday_country="GB",
                            extra_holidays=[PeakHoliday(day=date(2026, 12, 24))])
    retail = RetailPlan(name="Retail", currency="EUR", peak_schedule=schedule,
                        rates=[_rate(RetailRate, "44", "0.0200", "0.0300"), _rate(RetailRate, "4420", "0.0150")])
    uk_callers = RetailPlan(name="UK callers", currency="EUR", rates=[_rate(RetailRate, "44", "0.0100")])
    atlas = _carrier("Atlas", 1, "198.51.100.10", **{"44": "0.0060", "4420": "0.0200"})
    borealis = _carrier("Borealis", 2, "198.51.100.20", enabled=False, **{"44": "0.0055"})
    cosmos = _carrier("Cosmos", 3, "198.51.100.30", **{"44": "0.0050"})
    premium = BanPlan(name="Premium", prefixes=[BanPrefix(prefix="44909")])
    satellite = BanPlan(name="Satellite", prefixes=[BanPrefix(prefix="8816")])
    voip = VoipPlan(name="Business", currency="EUR", carrier_plans=[atlas, borealis], ban_plans=[premium],
                    retail_links=[VoipPlanRetailPlan(retail_plan=retail, priority=0),
                                  VoipPlanRetailPlan(retail_plan=uk_callers, caller_prefix="44", priority=1)])
    db.session.add_all([voip, cosmos, satellite, DialRule(position=0, match="+", replace=""),
                        DialRule(position=1, match="00", replace="")])
    db.session.flush()
    account = factories.account(code="1001", voip_plan_id=voip.id)
    db.session.commit()
    return SimpleNamespace(
        voip=voip.id, account=account.id, schedule=schedule.id, retail=retail.id, uk_callers=uk_callers.id,
        atlas=atlas.id, borealis=borealis.id, cosmos=cosmos.id, premium=premium.id, satellite=satellite.id,
        atlas_provider=atlas.provider_id, borealis_provider=borealis.provider_id,
        retail_link=voip.retail_links[0].id, uk_link=voip.retail_links[1].id)


@pytest.fixture
def world(app):
    with app.app_context():
        made = build_world()
    made.app = app
    return made
