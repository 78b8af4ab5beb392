"""`flask cdrs import`: a file through the pipeline in committed batches; run again, nothing doubles."""
import os
import signal
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import click._termui_impl
import pytest
from sqlalchemy import func, select

from portal.cdrs import commands
from portal.extensions import db
from portal.ledger.verify import verify
from portal.models import Account, Cdr, LedgerTransaction

SAMPLES = Path(__file__).parent / "cdrs" / "samples"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


def write_native(path, count, bad_every=0):
    lines = ["uuid,account,caller,callee,start,answer,end,billsec"]
    for n in range(count):
        billsec = "oops" if bad_every and n % bad_every == bad_every - 1 else str(30 + n % 30)
        lines.append(f"imp-{n},1002,4930123456,4915112345678,2026-10-06T22:00:00Z,2026-10-06T22:00:00Z,"
                     f"2026-10-06T22:02:00Z,{billsec}")
    path.write_text("\n".join(lines) + "\n")


def expected_total(rows):
    """Germany Mobile off-peak, €0.07/min per second, each call rounded to 4 places half up."""
    return sum((Decimal("0.07") * (30 + n % 30) / 60).quantize(Decimal("0.0001"), ROUND_HALF_UP) for n in rows)


def test_import_in_batches_with_a_summary(app, runner, demo, tmp_path):
    path = tmp_path / "cdrs.csv"
    write_native(path, 250, bad_every=50)
    result = runner.invoke(args=["cdrs", "import", str(path), "--batch-size", "40"])
    assert result.exit_code == 0, result.output
    # Not a terminal: the bar's label is printed once, before the summary.
    assert result.output.startswith("Importing cdrs.csv\naccepted 245, of which rated 245; duplicates 0; rejected 5")
    assert "row 49: billsec" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cdr)) == 245
        charges = db.session.execute(select(LedgerTransaction.amount, Cdr.price).join(
            Cdr, Cdr.id == LedgerTransaction.cdr_id).where(LedgerTransaction.type == "call_charge")).all()
        assert len(charges) == 245 and all(amount == -price for amount, price in charges)
        assert db.session.scalar(select(Account.balance).where(Account.code == "1002")) == -expected_total(
            n for n in range(250) if n % 50 != 49)
        assert verify() == []


def asterisk_line(n, start="2026-10-06 23:00:00", billsec=30):
    return (f'"1002","4930123456","4915112345678","default","","SIP/a-{n}","SIP/b-{n}","Dial","SIP/x",'
            f'"{start}","{start}","2026-10-06 23:05:00",{billsec + 5},{billsec},"ANSWERED","DOCUMENTATION"')


@pytest.mark.parametrize("fmt, bad, error", [
    ("native", "far,1002,1,4915112345678,0001-01-01T00:00:00Z,,,30", "start: must be written in the years 2000 to 2199"),
    ("native", "far,1002,1,4915112345678,9999-12-31T23:59:59-23:59,,,30", "start: must be written in the years 2000 to 2199"),
    ("native", "far,1002,1,4915112345678,2026-10-06T22:00:00Z,,,2147483647", "billsec: must be at most 86400 s"),
    ("asterisk", asterisk_line(99, start="0001-01-01 00:00:00"), "start: must be written in the years 2000 to 2199"),
    ("asterisk", asterisk_line(99, start="9999-12-31 23:59:59"), "start: must be written in the years 2000 to 2199"),
    ("asterisk", asterisk_line(99, billsec=86401), "billsec: must be at most 86400 s"),
])
def test_a_row_dated_far_out_or_endless_is_rejected_alone_and_the_import_goes_on(app, runner, demo, tmp_path, fmt,
                                                                                  bad, error):
    """Once such a row aborted the whole import with nothing stored; now it costs only itself."""
    if fmt == "native":
        write_native(tmp_path / "cdrs.csv", 30)
        lines = (tmp_path / "cdrs.csv").read_text().splitlines()
        lines.insert(13, bad)  # after the header: row 12
    else:
        lines = [asterisk_line(n) for n in range(30)]
        lines.insert(12, bad)
    path = tmp_path / "cdrs.csv"
    path.write_text("\n".join(lines) + "\n")
    command = ["cdrs", "import", str(path), "--format", fmt, "--timezone", "Europe/London", "--batch-size", "10"]
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
    assert "accepted 30, of which rated 30; duplicates 0; rejected 1" in result.output
    assert f"row 12: {error}" in result.output
    assert stored(app) == 30
    with app.app_context():
        assert verify() == []


def test_on_a_terminal_the_progress_bar_runs_from_0_to_100_percent(runner, demo, tmp_path, monkeypatch):
    # click draws the bar only on a terminal; the runner's output is not one.
    monkeypatch.setattr(click._termui_impl, "isatty", lambda _stream: True)
    path = tmp_path / "cdrs.csv"
    write_native(path, 30)
    result = runner.invoke(args=["cdrs", "import", str(path), "--batch-size", "10"])
    assert result.exit_code == 0, result.output
    frames = [frame for frame in result.output.split("\r") if frame.startswith("Importing cdrs.csv  [")]
    assert frames[0].endswith("0%") and not frames[0].endswith("100%")
    assert frames[-1].startswith("Importing cdrs.csv  [" + "#" * 36 + "]  100%")
    assert result.output.endswith("accepted 30, of which rated 30; duplicates 0; rejected 0\n")


def test_a_freeswitch_file_goes_through_the_command(app, runner, demo):
    command = ["cdrs", "import", str(SAMPLES / "freeswitch.csv"), "--format", "freeswitch", "--timezone",
               "Europe/London"]
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("accepted 9, of which rated 4; duplicates 0; rejected 1\n"
                                  "  row 7: account: required\n")
    with app.app_context():
        calls = {uuid[:8]: (status, price) for uuid, status, price in db.session.execute(
            select(Cdr.uuid, Cdr.status, Cdr.price))}
        # A UK caller to UK mobile: the UK callers' deck, €0.048/min, 120 s. Its unanswered calls cost 0.
        assert calls["a5c9f6c0"] == ("rated", Decimal("0.096")) and calls["e29ff0ae"] == ("rated", 0)
        # 00 33… to France, Monday 15:00 in London: Standard EUR at peak, €0.035/min for 30 minutes.
        assert calls["e2fe712e"] == ("rated", Decimal("1.05")) and calls["e34619ac"] == ("rated", 0)
        assert [status for status, _ in calls.values()].count("unknown_account") == 5  # 1003-1005: not ours
        balances = dict(db.session.execute(select(Account.code, Account.balance)).all())
        assert (balances["1001"], balances["1002"]) == (Decimal(1000) - Decimal("0.096"), Decimal("-1.05"))
        assert verify() == []
    again = runner.invoke(args=command)
    assert "accepted 0, of which rated 0; duplicates 9; rejected 1" in again.output


def test_an_interrupted_import_is_finished_by_running_it_again(app, runner, demo, tmp_path):
    path = tmp_path / "cdrs.csv"
    write_native(path, 100)
    partial = tmp_path / "partial.csv"
    partial.write_text("\n".join(path.read_text().splitlines()[:61]) + "\n")  # header + 60 rows made it
    runner.invoke(args=["cdrs", "import", str(partial)])
    result = runner.invoke(args=["cdrs", "import", str(path), "--batch-size", "30"])
    assert "accepted 40, of which rated 40; duplicates 60" in result.output
    with app.app_context():
        assert db.session.scalar(select(Account.balance).where(Account.code == "1002")) == -expected_total(range(100))
        assert verify() == []


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Cdr))


def test_a_failure_after_two_batches_keeps_them_and_a_rerun_finishes(app, runner, demo, tmp_path, monkeypatch):
    path = tmp_path / "cdrs.csv"
    write_native(path, 100)
    real_store, calls = commands.store, []

    def store_then_fail(prepared):
        calls.append(len(prepared.uuids))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real_store(prepared)

    monkeypatch.setattr(commands, "store", store_then_fail)
    result = runner.invoke(args=["cdrs", "import", str(path), "--batch-size", "20"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert stored(app) == 40  # the two batches committed before the failure
    monkeypatch.setattr(commands, "store", real_store)
    result = runner.invoke(args=["cdrs", "import", str(path), "--batch-size", "20"])
    assert "accepted 60, of which rated 60; duplicates 40; rejected 0" in result.output
    assert stored(app) == 100
    with app.app_context():
        assert db.session.scalar(select(Account.balance).where(Account.code == "1002")) == -expected_total(range(100))
        assert verify() == []


def write_asterisk(path, userfields):
    """Master.csv rows of 17 columns, the last one as given."""
    rows = [f'"1002","4930123456","4915112345678","from-internal","Bob","SIP/bob-{n:08}","SIP/trunk-{n:08}","Dial",'
            f'"SIP/trunk/4915112345678","2026-10-06 22:{n:02}:00","2026-10-06 22:{n:02}:00","2026-10-06 22:{n:02}:30",'
            f'"30","30","ANSWERED","DOCUMENTATION","{userfield}"' for n, userfield in enumerate(userfields)]
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("option, kept", [
    ([], 1),  # a last column that looks like a uniqueid is taken for one: the second row is its duplicate
    (["--asterisk-columns", "userfield"], 2),
])
def test_asterisk_columns_option_says_what_the_last_column_is(app, runner, demo, tmp_path, option, kept):
    path = tmp_path / "Master.csv"
    write_asterisk(path, ["1728255600.1", "1728255600.1"])
    result = runner.invoke(args=["cdrs", "import", str(path), "--format", "asterisk", *option])
    assert result.exit_code == 0, result.output
    assert stored(app) == kept


def test_import_refuses_an_asterisk_layout_cdr_csv_does_not_write(runner, demo, tmp_path):
    path = tmp_path / "Master.csv"
    write_asterisk(path, ["x"])
    result = runner.invoke(args=["cdrs", "import", str(path), "--format", "asterisk", "--asterisk-columns", "linkedid"])
    assert result.exit_code == 2 and "--asterisk-columns" in result.output


def test_import_refuses_a_file_it_cannot_read(runner, demo, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("what,is,this\n1,2,3\n")
    result = runner.invoke(args=["cdrs", "import", str(path), "--format", "native"])
    assert result.exit_code != 0 and "Error" in result.output


def _stat(pid):
    """(state, parent pid, start time) of a process from /proc, or None when there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1]), fields[19]


def _forked_children(pid):
    """{pid: start time} of the processes `pid` forked (same command line: not its helpers)."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(entry.name)) and stat[1] == pid:
            try:
                if (entry / "cmdline").read_bytes() == command:
                    children[int(entry.name)] = stat[2]
            except (FileNotFoundError, ProcessLookupError):
                continue
    return children


def _running(pid, started):
    """Whether that very process (not a later one with its pid) still runs; a zombie has ended."""
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the processes from Linux's /proc")
def test_the_reading_child_ends_when_the_import_is_killed(app, demo, database_url, tmp_path):
    """The real command, SIGKILLed once it has stored a batch, while its forked reader is ahead of it
    (waiting on the full queue, as the file holds more batches than the queue): the reader ends too."""
    path = tmp_path / "cdrs.csv"
    write_native(path, 100_000)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40}
    importer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cdrs", "import", str(path)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = {}
    try:
        deadline = time.monotonic() + 60
        while not stored(app) and importer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        children = _forked_children(importer.pid)  # the reader, not a helper forked at start to run a program
        assert len(children) == 1 and importer.poll() is None, "no import with its reader running"
        importer.kill()
        importer.wait(timeout=30)
        deadline = time.monotonic() + 10
        while (left := [pid for pid, started in children.items() if _running(pid, started)]) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == [], "the reader still runs 10 s after its import was killed"
    finally:
        importer.kill()
        importer.wait(timeout=30)
        for pid, started in children.items():
            if _running(pid, started):
                os.kill(pid, signal.SIGKILL)
