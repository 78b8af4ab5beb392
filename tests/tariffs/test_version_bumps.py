"""Every kind of change to what rating is built from is seen by the very next use of the engine:
a new engine, and the answer the change calls for."""
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import wraps

import pytest
from sqlalchemy import delete, event, inspect, select

from portal.extensions import db
from portal.models import (
    Account,
    BanPlan,
    BanPrefix,
    CarrierPlan,
    CarrierRate,
    DialRule,
    Gateway,
    NumberListEntry,
    PeakHoliday,
    PeakSchedule,
    Provider,
    RetailPlan,
    RetailRate,
    VoipPlan,
    VoipPlanRetailPlan,
)
from portal.models.tariffs import RATING_INPUTS
from portal.tariffs.cache import engine_and_lists
from portal.tariffs.loader import account_dial_rules, load_engine, load_number_lists
from tests.tariffs.conftest import LONDON, MANCHESTER, MORNING, NIGHT, UK_CALLER

CHRISTMAS_EVE = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)


def in_session(change):
    """A change made through the ORM, as the admin forms make it, and committed."""
    @wraps(change)
    def run(world, api):
        with world.app.app_context():
            change(world)
            db.session.commit()
    return run


def one(model, *where):
    return db.session.scalar(select(model).where(*where))


def rating(engine, world, callee=LONDON, caller="", at=NIGHT, account=False):
    rules = account_dial_rules(db.session.get(Account, world.account)) if account else ()
    return engine.rate(world.voip, caller, callee, at, 60, account_dial_rules=rules)


def price(callee=LONDON, **kwargs):
    return lambda engine, lists, world: rating(engine, world, callee, **kwargs).price


def status(callee, **kwargs):
    return lambda engine, lists, world: rating(engine, world, callee, **kwargs).status


def destination(callee):
    return lambda engine, lists, world: rating(engine, world, callee).destination.prefix


def band(at):
    return lambda engine, lists, world: rating(engine, world, MANCHESTER, at=at).trace["band"]


def cost(engine, lists, world):
    return rating(engine, world, MANCHESTER).cost


def routes(callee=MANCHESTER):
    return lambda engine, lists, world: [route.provider for route in rating(engine, world, callee).routes]


def first_gateway(engine, lists, world):
    return rating(engine, world, MANCHESTER).routes[0].gateways[0].host


def blacklisted(engine, lists, world):
    return [prefix for kind, prefix, _ in lists if kind == "blacklist"]


@in_session
def retail_decimals(world):
    db.session.get(RetailPlan, world.retail).decimals = 2


@in_session
def retail_peak_removed(world):
    db.session.get(RetailPlan, world.retail).peak_schedule = None


@in_session
def carrier_decimals(world):
    db.session.get(CarrierPlan, world.atlas).decimals = 2


@in_session
def retail_rate_changed(world):
    one(RetailRate, RetailRate.plan_id == world.retail, RetailRate.prefix == "4420").rate = Decimal("0.5")


@in_session
def retail_rate_added(world):
    db.session.add(RetailRate(plan_id=world.retail, prefix="447", rate=Decimal("0.06")))


@in_session
def retail_rate_deleted(world):
    db.session.delete(one(RetailRate, RetailRate.plan_id == world.retail, RetailRate.prefix == "4420"))


@in_session
def carrier_rate_changed(world):
    one(CarrierRate, CarrierRate.plan_id == world.atlas, CarrierRate.prefix == "44").rate = Decimal("0.007")


def retail_deck_imported(world, api):
    response = api.post(f"/retail-plans/{world.retail}/rates", json={"rates": [{"prefix": "447", "rate": "0.06"}]})
    assert response.status_code == 200, response.get_json()


def carrier_deck_imported_as_csv(world, api):
    response = api.post(f"/carrier-plans/{world.atlas}/rates?mode=replace", data="prefix,rate\n44,0.009\n",
                        headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.get_json()


@in_session
def ban_prefix_added(world):
    db.session.add(BanPrefix(ban_plan_id=world.premium, prefix="4420"))


@in_session
def ban_prefix_deleted(world):
    db.session.delete(one(BanPrefix, BanPrefix.prefix == "44909"))


@in_session
def ban_plan_linked(world):
    plan = db.session.get(VoipPlan, world.voip)
    plan.ban_plans.append(db.session.get(BanPlan, world.satellite))


@in_session
def ban_plan_unlinked(world):
    plan = db.session.get(VoipPlan, world.voip)
    plan.ban_plans.clear()


@in_session
def ban_plan_deleted(world):
    db.session.delete(db.session.get(BanPlan, world.premium))


@in_session
def carrier_plan_linked(world):
    plan = db.session.get(VoipPlan, world.voip)
    plan.carrier_plans.append(db.session.get(CarrierPlan, world.cosmos))


@in_session
def carrier_plan_unlinked(world):
    plan = db.session.get(VoipPlan, world.voip)
    plan.carrier_plans.remove(db.session.get(CarrierPlan, world.atlas))


@in_session
def retail_link_priority(world):
    db.session.get(VoipPlanRetailPlan, world.uk_link).priority = -1


@in_session
def retail_link_deleted(world):
    db.session.delete(db.session.get(VoipPlanRetailPlan, world.retail_link))


@in_session
def no_loss(world):
    db.session.get(VoipPlan, world.voip).no_loss = True


@in_session
def global_rule_added(world):
    db.session.add(DialRule(position=2, match="0", replace="44"))


@in_session
def global_rule_changed(world):
    one(DialRule, DialRule.match == "00").match = "000"


@in_session
def plan_rule_added(world):
    db.session.add(DialRule(voip_plan_id=world.voip, position=0, match="9", replace="44"))


@in_session
def account_rule_added(world):
    db.session.add(DialRule(account_id=world.account, position=0, match="8", replace="44"))


@in_session
def peak_hours(world):
    db.session.get(PeakSchedule, world.schedule).start_time = time(10)


@in_session
def peak_overnight(world):
    schedule = db.session.get(PeakSchedule, world.schedule)
    schedule.start_time, schedule.end_time = time(20), time(8)


@in_session
def peak_holiday_added(world):
    db.session.add(PeakHoliday(schedule_id=world.schedule, day=date(2026, 10, 6)))


@in_session
def peak_holiday_deleted(world):
    db.session.delete(one(PeakHoliday, PeakHoliday.schedule_id == world.schedule))


@in_session
def provider_enabled(world):
    db.session.get(Provider, world.borealis_provider).enabled = True


@in_session
def provider_disabled(world):
    db.session.get(Provider, world.atlas_provider).enabled = False


@in_session
def gateway_moved(world):
    one(Gateway, Gateway.provider_id == world.atlas_provider).host = "198.51.100.11"


@in_session
def number_blacklisted(world):
    db.session.add(NumberListEntry(kind="blacklist", prefix="4420"))


CHANGES = [
    # (change, what is asked of the engine, its answer before, after)
    (retail_decimals, price(), Decimal("0.0150"), Decimal("0.02")),
    (retail_peak_removed, band(MORNING), "peak", "off-peak"),
    (carrier_decimals, cost, Decimal("0.0060"), Decimal("0.01")),
    (retail_rate_changed, price(), Decimal("0.0150"), Decimal("0.5000")),
    (retail_rate_added, destination("447700900123"), "44", "447"),
    (retail_rate_deleted, destination(LONDON), "4420", "44"),
    (carrier_rate_changed, cost, Decimal("0.0060"), Decimal("0.0070")),
    (retail_deck_imported, destination("447700900123"), "44", "447"),
    (carrier_deck_imported_as_csv, cost, Decimal("0.0060"), Decimal("0.0090")),
    (ban_prefix_added, status(LONDON), "rated", "banned"),
    (ban_prefix_deleted, status("449091234567"), "banned", "rated"),
    (ban_plan_linked, status("881612345678"), "no_rate", "banned"),
    (ban_plan_unlinked, status("449091234567"), "banned", "rated"),
    (ban_plan_deleted, status("449091234567"), "banned", "rated"),
    (carrier_plan_linked, routes(), ["Atlas"], ["Cosmos", "Atlas"]),
    (carrier_plan_unlinked, routes(), ["Atlas"], []),
    (retail_link_priority, price(MANCHESTER, caller=UK_CALLER), Decimal("0.0200"), Decimal("0.0100")),
    (retail_link_deleted, price(MANCHESTER, caller=UK_CALLER), Decimal("0.0200"), Decimal("0.0100")),
    (no_loss, routes(LONDON), ["Atlas"], []),
    (global_rule_added, status("02079460000"), "no_rate", "rated"),
    (global_rule_changed, status("00442079460000"), "rated", "no_rate"),
    (plan_rule_added, status("92079460000"), "no_rate", "rated"),
    (account_rule_added, status("82079460000", account=True), "no_rate", "rated"),
    (peak_hours, band(MORNING), "peak", "off-peak"),
    (peak_overnight, band(NIGHT), "off-peak", "peak"),
    (peak_holiday_added, band(MORNING), "peak", "off-peak"),
    (peak_holiday_deleted, band(CHRISTMAS_EVE), "off-peak", "peak"),
    (provider_enabled, routes(), ["Atlas"], ["Borealis", "Atlas"]),
    (provider_disabled, routes(), ["Atlas"], []),
    (gateway_moved, first_gateway, "198.51.100.10", "198.51.100.11"),
    (number_blacklisted, blacklisted, [], ["4420"]),
]


@pytest.mark.parametrize(("change", "ask", "before", "after"), CHANGES,
                         ids=[change.__name__ for change, *_ in CHANGES])
def test_every_kind_of_tariff_change_gives_the_next_use_a_new_engine_that_answers_it(
        world, api, change, ask, before, after):
    with world.app.app_context():
        engine, lists = engine_and_lists()
        assert ask(engine, lists, world) == before
    change(world, api)
    with world.app.app_context():
        new_engine, new_lists = engine_and_lists()
        assert new_engine is not engine
        assert ask(new_engine, new_lists, world) == after


def test_unchanged_tariffs_keep_the_engine(world):
    with world.app.app_context():
        engine = engine_and_lists()[0]
        db.session.get(Account, world.account).name = "Renamed"  # not a rating input
        db.session.commit()
        assert engine_and_lists()[0] is engine


def _tables_read(run):
    """The tables the SQL of `run()` reads from."""
    seen = set()

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.update(re.findall(r'\b(?:FROM|JOIN)\s+"?(\w+)', statement))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _watched_tables():
    """The tables of the watched models, and the link tables their collections write."""
    tables = {model.__table__.name for model in RATING_INPUTS}
    for model in RATING_INPUTS:
        tables |= {rel.secondary.name for rel in inspect(model).relationships if rel.secondary is not None}
    return tables


def test_a_change_to_any_table_the_engine_is_loaded_from_bumps_the_version(world):
    """What is watched is exactly what is read: a table read but not watched would leave engines
    stale after a change to it; one watched but not read would rebuild them for nothing."""
    with world.app.app_context():
        read = _tables_read(lambda: (load_engine(), load_number_lists()))
    assert read == _watched_tables()


def test_a_bulk_statement_bumps_the_version_itself(world):
    """Core statements skip the ORM's flush: a change made that way is seen only if it bumps."""
    with world.app.app_context():
        engine = engine_and_lists()[0]
        db.session.execute(delete(BanPrefix).where(BanPrefix.ban_plan_id == world.premium))
        db.session.commit()
        assert engine_and_lists()[0] is engine  # the reason bulk writers must call bump_tariff_version
