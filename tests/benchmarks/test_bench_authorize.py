"""`flask bench authorize` for a second a run: gunicorn on loopback driven by wrk, every run labelled,
refused calls counted (they answer 200), and no run replaying another run's call uuids (409s)."""
import re
import shutil
from decimal import Decimal

import pytest

from portal.benchmarks import authorize

LINE = re.compile(r"sqlite, run (\d)/3, (.+?): [\d.]+ requests/s, p50 \S+, p90 \S+, p99 \S+; (\d+) requests, "
                  r"refused (\d+)(?: \((.+)\))?, non-2xx (\d+) \(4 connections, 1 s, gunicorn 2 workers × 2 threads\)")


@pytest.fixture
def wrk():
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk)")


def test_each_run_is_labelled_and_counts_its_refusals(runner, wrk, monkeypatch):
    # A cent per bench account: one call of each holds it, every later one of run 2 is refused.
    monkeypatch.setattr(authorize, "BENCH_MONEY", Decimal("0.01"))
    result = runner.invoke(args=["bench", "authorize", "--seconds", "1", "--warm-up", "1", "--connections", "4",
                                 "--threads", "2", "--accounts", "3"])
    assert result.exit_code == 0, result.output
    runs = [LINE.fullmatch(line) for line in result.stdout.splitlines()]  # stderr carries the migrations' log
    assert all(runs) and [run.group(1, 2) for run in runs] == [
        ("1", "no hold, all on account 1001"), ("2", "holds, spread over 3 account(s)"),
        ("3", "holds, all on account 1001")]
    requests = [int(run.group(3)) for run in runs]
    refused = [int(run.group(4)) for run in runs]
    assert all(requests) and refused[0] == 0
    assert refused[1] > 0 and runs[1].group(5) == f"insufficient_funds {refused[1]}"
    # Every run's uuids are its own: none is answered 409 for a uuid an earlier run (or the warm-up) held.
    assert [int(run.group(6)) for run in runs] == [0, 0, 0]
