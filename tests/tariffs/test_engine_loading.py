"""The rating engine built from the database: every kind of row reaches it, and a tariff change is
seen by the very next use."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Account, CarrierRate, DialRule, Provider, RetailRate, TariffVersion, VoipPlan
from portal.tariffs.cache import rating_engine
from portal.tariffs.loader import account_dial_rules

TUESDAY_MORNING = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)  # 10:30 in London: peak
TUESDAY_NIGHT = datetime(2026, 10, 6, 22, 0, tzinfo=UTC)
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "--calls", "0"]).exit_code == 0
    with app.app_context():
        yield


def plan(name):
    return db.session.scalar(select(VoipPlan).where(VoipPlan.name == name))


@pytest.mark.parametrize("caller, callee, at, price, band", [
    ("4930123456", "4915112345678", TUESDAY_MORNING, Decimal("0.0900"), "peak"),     # Germany Mobile peak, 60 s
    ("4930123456", "4915112345678", TUESDAY_NIGHT, Decimal("0.0700"), "off-peak"),
    ("4930123456", "4915112345678", CHRISTMAS, Decimal("0.0700"), "off-peak"),       # GB holiday
])
def test_demo_tariffs_rate_through_the_loaded_engine(demo, caller, callee, at, price, band):
    result = rating_engine().rate(plan("Business EUR").id, caller, callee, at, 60)
    assert result.status == "rated" and result.price == price and result.currency == "EUR"
    assert result.destination.prefix == "4915"
    assert result.trace["band"] == band


def test_conditional_tariff_for_uk_callers(demo):
    engine = rating_engine()
    uk = engine.rate(plan("Business EUR").id, "442071234567", "447700900123", TUESDAY_NIGHT, 60)
    other = engine.rate(plan("Business EUR").id, "4930123456", "447700900123", TUESDAY_NIGHT, 60)
    assert uk.price == Decimal("0.0480") and other.price == Decimal("0.0600")


def test_ban_plan_and_lcr_routes_with_gateways(demo):
    engine = rating_engine()
    assert engine.rate(plan("Business EUR").id, "", "44909123456", TUESDAY_NIGHT, 60).status == "banned"
    result = engine.rate(plan("Business EUR").id, "", "4915112345678", TUESDAY_NIGHT, 60)
    assert [r.provider for r in result.routes][:2] == ["Borealis Telecom", "Atlas Voice"]
    assert result.routes[0].gateways[0].host == "198.51.100.20"
    assert result.cost == Decimal("0.0280") and result.provider == "Borealis Telecom"


def test_account_dial_rules_apply(demo):
    account = db.session.scalar(select(Account).where(Account.code == "1001"))
    account.dial_rules = [DialRule(position=0, match="0", replace="44")]
    db.session.commit()
    result = rating_engine().rate(account.voip_plan_id, "", "02071234567", TUESDAY_NIGHT, 60,
                                  account_dial_rules=account_dial_rules(account))
    assert result.number == "442071234567" and result.destination.prefix == "4420"


def test_a_caller_in_national_format_meets_the_uk_callers_condition_through_the_accounts_rules(demo):
    account = db.session.scalar(select(Account).where(Account.code == "1001"))
    account.dial_rules = [DialRule(position=0, match="0", replace="44")]
    db.session.commit()
    result = rating_engine().rate(account.voip_plan_id, "020 7123 4567", "447700900123", TUESDAY_NIGHT, 60,
                                  account_dial_rules=account_dial_rules(account))
    assert (result.price, result.trace["caller_number"]) == (Decimal("0.0480"), "442071234567")


def test_a_changed_rate_is_used_by_the_next_call(demo):
    before = db.session.scalar(select(TariffVersion.version))
    engine = rating_engine()
    rate = db.session.scalar(select(RetailRate).where(RetailRate.prefix == "4915", RetailRate.rate_peak.isnot(None)))
    rate.rate = Decimal("0.5")
    db.session.commit()
    assert db.session.scalar(select(TariffVersion.version)) > before
    assert rating_engine() is not engine
    result = rating_engine().rate(plan("Business EUR").id, "", "4915112345678", TUESDAY_NIGHT, 60)
    assert result.price == Decimal("0.5000")


def test_unchanged_tariffs_reuse_the_engine(demo):
    assert rating_engine() is rating_engine()


def test_a_disabled_provider_leaves_the_routes(demo):
    db.session.scalar(select(Provider).where(Provider.name == "Borealis Telecom")).enabled = False
    db.session.commit()
    result = rating_engine().rate(plan("Business EUR").id, "", "4915112345678", TUESDAY_NIGHT, 60)
    assert [r.provider for r in result.routes] == ["Atlas Voice"]


def test_effective_dates_come_through(demo):
    rate = db.session.scalar(select(CarrierRate).where(CarrierRate.prefix == "4915")
                             .order_by(CarrierRate.id))
    rate.effective_from = datetime(2027, 1, 1, tzinfo=UTC)
    db.session.commit()
    result = rating_engine().rate(plan("Business EUR").id, "", "4915112345678", TUESDAY_NIGHT, 60)
    atlas = next(r for r in result.routes if r.provider == rate.plan.provider.name)
    assert (atlas.prefix, atlas.cost_per_minute) == ("49", Decimal("0.0070"))  # 4915 is not in effect yet


def test_a_retail_link_in_another_currency_does_not_stop_rating(demo):
    from portal.models import RetailPlan, VoipPlanRetailPlan

    usd = db.session.scalar(select(RetailPlan).where(RetailPlan.currency == "USD"))
    db.session.add(VoipPlanRetailPlan(voip_plan_id=plan("Business EUR").id, retail_plan_id=usd.id, priority=-1))
    db.session.commit()
    result = rating_engine().rate(plan("Business EUR").id, "", "4915112345678", TUESDAY_NIGHT, 60)
    assert (result.status, result.currency) == ("rated", "EUR")

