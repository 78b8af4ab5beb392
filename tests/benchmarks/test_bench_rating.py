"""`flask bench rating` at a toy size: it runs end to end on SQLite and prints every figure, the
three issue 3 sets a target for with that target and PASS or MISS."""
import re
from decimal import Decimal

import pytest

from portal.benchmarks.rating import judge


def test_bench_rating_prints_every_figure_and_judges_each_target(runner):
    result = runner.invoke(args=["bench", "rating", "--database", "sqlite", "--prefixes", "300", "--carriers", "1",
                                 "--calls", "200"])
    assert result.exit_code == 0, result.output
    out = result.output
    for figure in ("calls_per_second", "us_per_call", "prefix_lookups_per_second", "index_memory_mb"):
        assert re.search(rf"^{figure} +[\d.]+$", out, re.MULTILINE), figure
    rows = re.search(r"^sqlite: deck of (\d+) rows imported in [\d.]+ s", out, re.MULTILINE)
    assert rows and int(rows[1]) >= 300
    targets = out[out.index("targets (issue 3)"):]
    for line in (r"calls/s, full LCR +[\d,]+ +>= 50,000",
                 r"prefix lookups/s +[\d,]+ +>= 1,000,000",
                 rf"sqlite: deck load, {rows[1]} rows +[\d.]+ s +< 3 s"):
        assert re.search(rf"^  {line} +(PASS|MISS)$", targets, re.MULTILINE), line
    assert "postgresql" not in out


FAST = {"calls_per_second": Decimal(50_000), "prefix_lookups_per_second": Decimal(1_000_000)}
SLOW = {"calls_per_second": Decimal(49_999), "prefix_lookups_per_second": Decimal(999_999)}


@pytest.mark.parametrize(
    ("figures", "loads", "met"),
    [
        (FAST, {"sqlite": 2.99}, [True, True, True]),
        (SLOW, {"sqlite": 3.0}, [False, False, False]),
        (FAST, {"sqlite": 1.2, "postgresql": 3.4}, [True, True, True, False]),
    ],
)
def test_targets_are_met_at_50000_calls_1000000_lookups_and_under_3_seconds(figures, loads, met):
    judged = judge(figures, 100_000, loads)
    assert [line[3] for line in judged] == met
    assert [line[0] for line in judged[2:]] == [f"{kind}: deck load, 100,000 rows" for kind in loads]
