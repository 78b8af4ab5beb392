"""`flask bench invoices`: closing last month for a thousand accounts with 200,000 calls (PDFs
included), then rendering a one-page invoice and one with a 2,000-call annex: seconds and peak memory."""
import io
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.benchmarks import bench_group, database_kinds, scratch_app
from portal.cdrs.ingest import ingest
from portal.cdrs.parsers import RawCdr
from portal.demo import CALLED, load_demo
from portal.extensions import db
from portal.invoicing.documents import AnnexCall, Document
from portal.invoicing.period import Period
from portal.invoicing.products import assign_plan, assign_product, create_plan, create_product
from portal.invoicing.run import run_period
from portal.ledger.verify import verify
from portal.models import Account, Cdr, Invoice, VoipPlan
from portal.models.types import utcnow

ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "UTC")


class PeakMemory:
    """The process's peak resident memory during a block: Linux's VmHWM, reset on entry when allowed."""

    def __enter__(self):
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass  # not resettable here: the peak then covers the whole process
        return self

    def __exit__(self, *exc):
        status = Path("/proc/self/status").read_text()
        kilobytes = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        self.megabytes = kilobytes / 1024


def _accounts(count, plan_id):
    """`count` customers on the demo's EUR plan: a third postpaid, zones mixed; every fifth has a
    mobile bundle and every third rents numbers."""
    bundle = create_plan("Bench mobile 100", "EUR", Decimal("9.90"), included_minutes=100, prefixes=["447", "4915"])
    rental = create_product("Bench number rental", "EUR", Decimal("1.50"))
    accounts = []
    for n in range(count):
        postpaid = n % 3 == 0
        account = Account(code=f"B{n:05d}", name=f"Bench customer {n}", email=f"bench{n}@example.com",
                          currency="EUR", billing="postpaid" if postpaid else "prepaid",
                          credit_limit=Decimal(1000) if postpaid else Decimal(0), voip_plan_id=plan_id,
                          timezone=ZONES[n % len(ZONES)], tax_rate=Decimal(20), company_name=f"Bench {n} Ltd",
                          address=f"{n} Bench Street", city="London", zip_code="EC1A 1AA", country="GB",
                          phone=f"+44207946{n:04d}")
        db.session.add(account)
        accounts.append(account)
    db.session.flush()
    for n, account in enumerate(accounts):
        if n % 5 == 0:
            assign_plan(account, bundle, date(2020, 1, 1))
        if n % 3 == 0:
            assign_product(account, rental, date(2020, 1, 1), quantity=2, note="+44 20 7946 0000")
    return accounts


def _calls(accounts, count, start, end, seed):
    """Answered calls spread over [start, end): the demo's destinations, about 2.5 minutes each."""
    randomizer = random.Random(seed)
    prefixes, weights = zip(*CALLED)
    span = int((end - start).total_seconds())
    for n in range(count):
        account = accounts[n % len(accounts)]
        moment = start + timedelta(seconds=randomizer.randrange(span))
        prefix = randomizer.choices(prefixes, weights)[0]
        callee = prefix + "".join(randomizer.choice("0123456789") for _ in range(11 - len(prefix)))
        billsec = int(randomizer.expovariate(1 / 150)) + 1
        yield RawCdr(uuid=f"bench-{seed}-{n:07d}", account=account.code, caller=account.phone.lstrip("+"),
                     callee=callee, start=moment, answer=moment, end=moment + timedelta(seconds=billsec),
                     billsec=billsec, duration=billsec, hangup_cause=16, src_ip="192.0.2.10", provider="",
                     switch="")


def _ingest(records, batch=5000):
    records = list(records)
    for first in range(0, len(records), batch):
        ingest(records[first:first + batch])
        db.session.commit()


def _stored_annex(invoice):
    """The calls of an issued invoice as its annex lists them."""
    rows = db.session.execute(select(Cdr.number, Cdr.start, Cdr.billable_seconds, Cdr.price, Cdr.trace)
                              .where(Cdr.invoice_id == invoice.id).order_by(Cdr.start, Cdr.id))
    annex = []
    for number, start, seconds, price, trace in rows:
        bundle = (trace or {}).get("bundle")
        after = Decimal(bundle["price_after"]) if bundle else price
        annex.append(AnnexCall(number, start, seconds or 0, after, bool(bundle and bundle["covered_seconds"])))
    return annex


def _count(number, noun):
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _render(invoice, annex):
    """Render an issued invoice again (the stored bytes stay what they are): seconds, MB, pages."""
    document = Document.of(invoice, invoice.account, annex)
    with PeakMemory() as memory:
        started = time.perf_counter()
        pdf = document.render()
        seconds = time.perf_counter() - started
    return seconds, memory.megabytes, len(PdfReader(io.BytesIO(pdf)).pages)


@bench_group.command("invoices")
@click.option("--database", "choice", type=click.Choice(["sqlite", "postgresql", "both"]), default="sqlite")
@click.option("--accounts", "account_count", default=1000, show_default=True)
@click.option("--calls", "call_count", default=200_000, show_default=True)
@click.option("--annex-calls", default=2000, show_default=True, help="Calls on the invoice rendered with its annex.")
def bench_invoices_command(choice, account_count, call_count, annex_calls):
    """Month close for many accounts, and single invoice renders, on scratch databases."""
    today = utcnow().date()
    last_month = today.replace(day=1) - timedelta(days=1)
    period = Period.parse(last_month.strftime("%Y-%m"))
    # A day inside the month's edges, so every time zone bills every call in it.
    start = datetime.combine(period.first_day, datetime.min.time(), UTC) + timedelta(days=1)
    end = datetime.combine(period.last_day, datetime.min.time(), UTC)
    for kind in database_kinds(choice):
        with scratch_app(kind):
            started = time.perf_counter()
            load_demo(calls=0)
            plan_id = db.session.scalar(select(VoipPlan.id).where(VoipPlan.name == "Business EUR"))
            accounts = _accounts(account_count, plan_id)
            db.session.commit()
            _ingest(_calls(accounts, call_count, start, end, seed=1))
            click.echo(f"{kind}: setup: {account_count:,} accounts, {call_count:,} calls rated and charged in "
                       f"{time.perf_counter() - started:.1f} s")

            db.session.expunge_all()
            with PeakMemory() as memory:
                started = time.perf_counter()
                result = run_period(period)
                seconds = time.perf_counter() - started
            invoiced = db.session.scalar(select(func.count()).select_from(Cdr).where(Cdr.invoice_id.isnot(None)))
            click.echo(f"{kind}: month close {period}: {len(result.created):,} invoices with PDFs ({invoiced:,} "
                       f"calls) in {seconds:.1f} s = {len(result.created) / seconds:.1f} invoices/s; peak memory "
                       f"{memory.megabytes:.0f} MB; failed: {len(result.failed)}")

            one_page = db.session.scalar(select(Invoice).where(Invoice.period == str(period)).order_by(Invoice.id))
            seconds, megabytes, pages = _render(one_page, None)
            click.echo(f"{kind}: render {one_page.number} ({_count(len(one_page.lines), 'line')}, "
                       f"{_count(pages, 'page')}): {seconds:.3f} s; peak memory {megabytes:.0f} MB")

            heavy = Account(code="ANNEX", name="Annex customer", email="annex@example.com", currency="EUR",
                            billing="prepaid", voip_plan_id=plan_id, timezone="Europe/London",
                            tax_rate=Decimal(20), phone="+442079460999")
            db.session.add(heavy)
            db.session.commit()
            _ingest(_calls([heavy], annex_calls, start, end, seed=2))
            run_period(period, "ANNEX", annex=True)
            invoice = db.session.scalar(select(Invoice).join(Account).where(Account.code == "ANNEX"))
            seconds, megabytes, pages = _render(invoice, _stored_annex(invoice))
            click.echo(f"{kind}: render {invoice.number} with a {annex_calls:,}-call annex ({_count(pages, 'page')}): "
                       f"{seconds:.2f} s; peak memory {megabytes:.0f} MB")
            problems = verify()
            click.echo(f"{kind}: ledger verify: {'clean' if not problems else problems[:3]}")
