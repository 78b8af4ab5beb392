"""A tariff row the engine refuses does not stop rating: the process keeps its last complete
engine (or, having none, rates what it could load), says which rows and why, and does not try
the same version again on every call. A large engine is frozen out of the collector's full
passes, and freed all the same once replaced."""
import gc
import logging
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import PeakSchedule, RetailPlan, TariffVersion, VoipPlan, VoipPlanRetailPlan
from portal.rating import UnknownVoipPlan
from portal.tariffs import cache
from portal.tariffs.cache import load_failure, rating_engine
from portal.tariffs.loader import load_engine
from tests.tariffs.conftest import MANCHESTER, MORNING, UK_CALLER

ROOT = Path(__file__).resolve().parents[2]

#: Values the database takes (their shape is right) that the engine refuses.
REFUSED = [
    ("timezone", "Europe/Londn", "unknown time zone"),
    ("holiday_country", "XX", "unknown holiday calendar"),
    ("holiday_country", "GB-XXX", "unknown holiday calendar"),
    ("weekdays", "0,,1", "weekdays are one or more of 0 (Monday) to 6 (Sunday)"),
]


@pytest.fixture
def loads(monkeypatch):
    """How many times the cache has loaded an engine."""
    count = []

    def counted():
        count.append(1)
        return load_engine()

    monkeypatch.setattr(cache, "load_engine", counted)
    return count


def set_schedule(world, **values):
    with world.app.app_context():
        schedule = db.session.get(PeakSchedule, world.schedule)
        for name, value in values.items():
            setattr(schedule, name, value)
        db.session.commit()


def version():
    return db.session.scalar(select(TariffVersion.version))


def peak_price(engine, world):
    return engine.rate(world.voip, "", MANCHESTER, MORNING, 60).price


@pytest.fixture
def logged(caplog):
    """The cache's error log (still enabled after the session's migrations configured logging)."""
    with caplog.at_level(logging.ERROR, cache.log.name):
        yield caplog


@pytest.mark.parametrize(("column", "value", "message"), REFUSED)
def test_a_refused_row_leaves_the_last_complete_engine_rating(world, loads, logged, column, value, message):
    with world.app.app_context():
        engine = rating_engine()
        good = version()
    set_schedule(world, **{column: value})
    with world.app.app_context():
        assert rating_engine() is engine
        assert peak_price(rating_engine(), world) == peak_price(engine, world)
        failure = load_failure()
        assert (failure.version, failure.rating_with) == (version(), good)
        assert any(line.startswith(f"peak schedule {world.schedule} 'UK hours'") and message in line
                   for line in failure.problems)
        assert [record.levelname for record in logged.records] == ["ERROR"]
        assert message in logged.records[0].getMessage()
    assert len(loads) == 2  # the good version once, the refused one once, however often it is asked


def test_the_next_version_that_loads_whole_is_rated_with_and_clears_the_warning(world):
    with world.app.app_context():
        engine = rating_engine()
    set_schedule(world, timezone="Europe/Londn")
    set_schedule(world, timezone="Europe/London")
    with world.app.app_context():
        assert rating_engine() is not engine
        assert load_failure() is None


def test_the_loader_names_each_refused_row_and_everything_it_takes_along(world):
    set_schedule(world, timezone="Europe/Londn")
    with world.app.app_context():
        problems = load_engine().problems
    assert problems == (
        f"peak schedule {world.schedule} 'UK hours': peak timezone: unknown time zone: 'Europe/Londn'",
        f"retail plan {world.retail} 'Retail': left out: its peak schedule {world.schedule} is refused",
        f"VoIP plan {world.voip} retail link {world.retail_link}: retail plan {world.retail} is left out",
        f"VoIP plan {world.voip} 'Business': left out; its calls are no_rate until fixed",
    )


@pytest.fixture
def second_plan(world):
    """Another VoIP plan, over the retail plan that has no peak schedule."""
    with world.app.app_context():
        plan = VoipPlan(name="Other", currency="EUR", retail_links=[VoipPlanRetailPlan(retail_plan_id=world.uk_callers)])
        db.session.add(plan)
        db.session.commit()
        return plan.id


def test_a_process_with_no_engine_yet_rates_every_plan_it_could_load(world, second_plan):
    set_schedule(world, timezone="Europe/Londn")
    with world.app.app_context():
        engine = rating_engine()
        assert engine.rate(second_plan, UK_CALLER, MANCHESTER, MORNING, 60).status == "rated"
        with pytest.raises(UnknownVoipPlan):  # its CDRs are stored as no_rate, re-ratable once fixed
            engine.rate(world.voip, UK_CALLER, MANCHESTER, MORNING, 60)
        failure = load_failure()
        assert failure.rating_with == failure.version == version()


def test_with_no_complete_engine_a_newer_partial_one_replaces_the_older(world, second_plan):
    set_schedule(world, timezone="Europe/Londn")
    with world.app.app_context():
        engine = rating_engine()
        db.session.get(RetailPlan, world.uk_callers).decimals = 2
        db.session.commit()
        assert rating_engine() is not engine
        assert rating_engine().rate(second_plan, "", MANCHESTER, MORNING, 60).price.as_tuple().exponent == -2


@pytest.fixture
def thawed():
    """Leave the process as the suite's other tests expect it: nothing frozen."""
    yield
    gc.unfreeze()


def is_frozen(thing):
    """Frozen objects are in no generation the collector walks (`gc.get_objects` lists those)."""
    return gc.is_tracked(thing) and not any(held is thing for held in gc.get_objects())


def in_a_cycle(engine):
    """A weak reference to a part of `engine` that only the cyclic collector can free: a merged
    index's walk, which the namespace it was generated in holds."""
    walk = next(iter(engine._plans.values())).index.find_all
    assert any(walk in gc.get_referents(namespace) for namespace in gc.get_referents(walk))
    return weakref.ref(walk)


def replace_tariffs(world):
    """A valid tariff change, so the next use builds a new engine."""
    set_schedule(world, timezone="Europe/Paris")


def test_a_large_engine_is_frozen_and_the_one_it_replaces_is_freed(world, thawed):
    world.app.config["ENGINE_FREEZE_ROWS"] = 1  # the test world's few rows count as large
    with world.app.app_context():
        engine = rating_engine()
        assert is_frozen(engine) and is_frozen(engine._plans)
        replaced = in_a_cycle(engine)
        del engine
    replace_tariffs(world)
    with world.app.app_context():
        engine = rating_engine()
        assert replaced() is None  # collected before the heap was frozen again, not kept frozen
        assert is_frozen(engine)


def test_a_small_engine_in_a_process_that_froze_nothing_is_left_alone(world, thawed):
    world.app.config["ENGINE_FREEZE_ROWS"] = 10**9
    with world.app.app_context():
        engine = rating_engine()
        assert gc.get_freeze_count() == 0 and not is_frozen(engine)


def test_a_frozen_heap_stays_frozen_and_lets_go_of_the_engine_replaced(world, thawed):
    """A served app freezes its heap once built (wsgi.py); a small engine then keeps it frozen,
    and the large one it replaced is freed all the same."""
    world.app.config["ENGINE_FREEZE_ROWS"] = 1
    with world.app.app_context():
        replaced = in_a_cycle(rating_engine())
    world.app.config["ENGINE_FREEZE_ROWS"] = 10**9
    replace_tariffs(world)
    with world.app.app_context():
        engine = rating_engine()
        assert replaced() is None
        assert is_frozen(engine)


def test_the_served_app_has_its_heap_frozen(tmp_path):
    """gunicorn imports wsgi.py in each worker: everything the app is built of is frozen by then."""
    probe = "import gc, wsgi; print(gc.get_freeze_count() > 100000, len(gc.get_objects()) < 50000)"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite'}", "SECRET_KEY": "s" * 40}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["True", "True"]
