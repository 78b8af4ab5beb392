"""Results are plain data: no float anywhere, traces that survive JSON, a pure-Python package."""

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import portal.rating
from portal.rating import (
    CarrierPlan,
    Gateway,
    PeakSchedule,
    Provider,
    Rate,
    RatingEngine,
    RetailLink,
    RetailPlan,
    VoipPlan,
    national_rules,
)
from portal.rating.bench import run

START = datetime(2026, 1, 1, tzinfo=UTC)
PEAK = PeakSchedule("Europe/London", range(5), "08:00", "19:00", "GB", {"2026-12-24"})


def floats_in(value, path="result"):
    """Every path inside `value` that holds a float, looking through containers and dataclasses."""
    if isinstance(value, float):
        return [path]
    if dataclasses.is_dataclass(value):
        return floats_in(dataclasses.asdict(value), path)
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in floats_in(item, f"{path}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        fields = getattr(value, "_fields", None) or range(len(value))
        return [hit for field, item in zip(fields, value, strict=True) for hit in floats_in(item, f"{path}.{field}")]
    return []


def build_engine():
    retail = RetailPlan(
        1,
        "Retail",
        "GBP",
        peak=PEAK,
        rates=[
            Rate(prefix="44", destination="UK", rate="0.02", rate_peak="0.03", connect_fee="0.01", t1=30, t2=6),
            Rate(prefix="447", destination="UK Mobile", rate="0.10", t1=0, t2=60),
            Rate(number="442079460000", destination="Office", rate="0"),
            Rate(prefix="1", destination="NANP", rate="0.01", effective_to=START + timedelta(days=180)),
            Rate(prefix="1", destination="NANP", rate="0.008", effective_from=START + timedelta(days=180)),
        ],
    )
    carriers = [
        CarrierPlan(
            n,
            f"deck {n}",
            "GBP" if n else "USD",
            Provider(n, f"carrier {n}", n % 2, gateways=(Gateway("gw", "10.0.0.1"),)),
            peak=PEAK if n == 1 else None,
            rates=[Rate(prefix="44", rate=f"0.0{n + 1}", rate_peak="0.05"), Rate(prefix="1", rate="0.004")],
        )
        for n in range(3)
    ]
    voip = VoipPlan(
        1,
        "Plan",
        retail_links=[RetailLink(1)],
        carrier_plan_ids=[0, 1, 2],
        ban_prefixes=["1900"],
        no_loss=True,
        dial_rules=national_rules("GB"),
    )
    return RatingEngine([retail], carriers, [voip])


ENGINE = build_engine()
callees = st.sampled_from(
    ["+44 20 7946 0000", "020 7946 0001", "07700 900123", "+1 212 555 0123", "+1 900 555 0123", "+33 1", "+7 495 1"]
)
moments = st.integers(0, 2 * 366 * 24 * 3600).map(lambda s: START + timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(
    callee=callees,
    at=moments,
    billsec=st.integers(0, 7200),
    carried_by=st.sampled_from([None, "carrier 1", 2, "nobody"]),
    available=st.decimals(min_value=-5, max_value=500, places=4),
)
def test_no_float_anywhere_in_any_result_and_every_trace_is_json(callee, at, billsec, carried_by, available):
    results = [
        ENGINE.rate(1, "442071234567", callee, at, billsec, provider=carried_by),
        ENGINE.authorize(1, "442071234567", callee, at, available),
        ENGINE.lookup(1, callee, at),
    ]
    for result in results:
        assert floats_in(result) == []
        assert json.loads(json.dumps(result.trace)) == result.trace


def test_the_same_call_always_rates_the_same():
    at = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    assert ENGINE.rate(1, "", "+44 20 7946 0001", at, 95) == build_engine().rate(1, "", "+44 20 7946 0001", at, 95)


PACKAGE = Path(portal.rating.__file__).parent


def test_the_rating_package_imports_no_framework_and_no_other_part_of_the_app():
    imports = re.compile(r"^\s*(?:from|import)\s+(\S+)", re.MULTILINE)
    for module in PACKAGE.glob("*.py"):
        for name in imports.findall(module.read_text()):
            assert not name.startswith(("flask", "sqlalchemy", "flask_sqlalchemy", "portal")), (module.name, name)


def test_no_float_is_ever_made_in_the_rating_package():
    for module in PACKAGE.glob("*.py"):
        assert "float(" not in module.read_text(), module.name


def test_the_benchmark_reports_its_figures_without_floats():
    figures = run(prefixes=300, carriers=2, calls=300, seed=7)
    assert floats_in(figures) == []
    assert figures["deck_rows"] >= 900
    assert figures["calls_per_second"] > 0
    assert figures["prefix_lookups_per_second"] > 0
    assert figures["index_memory_mb"] >= Decimal(0)
