"""`flask bench ledger`: postings per second, one operation per commit and a batch of call charges."""
import time
from decimal import Decimal

import click
from sqlalchemy import select

from portal.audit import SYSTEM
from portal.benchmarks import bench_group, database_kinds, scratch_app
from portal.extensions import db
from portal.ledger import operations
from portal.ledger.verify import verify
from portal.models import Account, Cdr, Provider
from portal.models.types import utcnow


def _single_operations(account, count):
    started = time.perf_counter()
    for n in range(count):
        operations.payment(account, Decimal("1.25"), SYSTEM, key=f"bench-{n}")
        db.session.commit()
    return time.perf_counter() - started


def _call_charges(account, provider, count):
    now = utcnow()
    cdrs = [Cdr(uuid=f"bench-{n}", account_code=account.code, account_id=account.id, callee="442071234567",
                number="442071234567", start=now, billsec=60, status="rated", price=Decimal("0.0123"),
                currency=account.currency, cost=Decimal("0.0051"), cost_currency=account.currency,
                provider_id=provider.id) for n in range(count)]
    db.session.add_all(cdrs)
    db.session.commit()
    cdrs = db.session.scalars(select(Cdr).order_by(Cdr.id)).all()  # loaded in one query, as ingest has them
    started = time.perf_counter()
    operations.charge_calls(cdrs)
    db.session.commit()
    return time.perf_counter() - started


@bench_group.command("ledger")
@click.option("--database", "choice", type=click.Choice(["sqlite", "postgresql", "both"]), default="sqlite")
@click.option("--operations", "single", default=2000, show_default=True, help="Payments, one commit each.")
@click.option("--charges", default=20000, show_default=True, help="Call charges in one batch commit.")
def bench_ledger_command(choice, single, charges):
    """Postings per second on scratch databases."""
    for kind in database_kinds(choice):
        with scratch_app(kind):
            account = Account(code="BENCH", name="Bench", email="bench@example.com", currency="EUR",
                              billing="prepaid")
            provider = Provider(name="Bench carrier")
            db.session.add_all([account, provider])
            db.session.commit()
            single_seconds = _single_operations(account, single)
            batch_seconds = _call_charges(account, provider, charges)
            problems = verify()
            click.echo(f"{kind}: single operations: {single} payments in {single_seconds:.2f} s = "
                       f"{single / single_seconds:,.0f} ops/s, {2 * single / single_seconds:,.0f} postings/s")
            click.echo(f"{kind}: batch of call charges: {charges} in {batch_seconds:.2f} s = "
                       f"{charges / batch_seconds:,.0f} charges/s, {4 * charges / batch_seconds:,.0f} postings/s")
            click.echo(f"{kind}: ledger verify: {'clean' if not problems else problems[:3]}")
