"""`flask bench ingest`: a million CDRs from a CSV file through `flask cdrs import`: parsing, rating,
CDR rows, ledger postings and balances, on scratch databases. The figure is the command's own
wall time, progress bar and summary included, as an operator importing a file would see it."""
import csv
import tempfile
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from portal.benchmarks import bench_group, database_kinds, scratch_app
from portal.demo import demo_calls, load_demo
from portal.extensions import db
from portal.ledger.verify import verify
from portal.models import Account, Cdr, Posting
from portal.models.types import utcnow

COLUMNS = ("uuid", "account", "caller", "callee", "start", "answer", "end", "billsec", "duration", "hangup_cause",
           "src_ip", "provider", "switch")


def write_cdr_file(path, accounts, count, chunk=100_000):
    """The demo's traffic pattern, `count` calls, as a native CSV file."""
    now = utcnow()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for seed, start in enumerate(range(0, count, chunk)):
            for record in demo_calls(accounts, min(chunk, count - start), 60, now, seed=seed):
                writer.writerow([record.uuid, record.account, record.caller, record.callee,
                                 record.start.isoformat(), record.answer.isoformat() if record.answer else "",
                                 record.end.isoformat(), record.billsec, record.duration, record.hangup_cause,
                                 record.src_ip, record.provider, record.switch])


@bench_group.command("ingest")
@click.option("--database", "choice", type=click.Choice(["sqlite", "postgresql", "both"]), default="sqlite")
@click.option("--cdrs", "count", default=1_000_000, show_default=True)
@click.option("--batch-size", default=5000, show_default=True)
def bench_ingest_command(choice, count, batch_size):
    """CDRs per second through the whole import pipeline."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdrs.csv"
        for kind in database_kinds(choice):
            with scratch_app(kind):
                load_demo(calls=0)
                db.session.commit()
                accounts = db.session.scalars(select(Account).order_by(Account.code)).all()
                if not path.exists():
                    started = time.perf_counter()
                    write_cdr_file(path, accounts, count)
                    click.echo(f"wrote {count:,} CDRs ({path.stat().st_size / 1e6:.0f} MB) in "
                               f"{time.perf_counter() - started:.1f} s")
                db.session.expunge_all()
                started = time.perf_counter()
                # The scratch app's context is the current one, so the command imports into the
                # scratch database, not the one the operator's `flask` points at.
                current_app.cli.main(["cdrs", "import", str(path), "--format", "native", "--batch-size",
                                      str(batch_size)], prog_name="flask", standalone_mode=False)
                seconds = time.perf_counter() - started
                stored = db.session.scalar(select(func.count()).select_from(Cdr))
                rated = db.session.scalar(select(func.count()).select_from(Cdr).where(Cdr.status == "rated"))
                postings = db.session.scalar(select(func.count()).select_from(Posting))
                problems = verify()
                click.echo(f"{kind}: {stored:,} CDRs stored ({rated:,} rated) by flask cdrs import in {seconds:.1f} s "
                           f"= {stored / seconds:,.0f} CDRs/s; {postings:,} postings; "
                           f"ledger verify: {'clean' if not problems else problems[:3]}")
