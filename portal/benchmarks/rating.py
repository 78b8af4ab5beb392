"""`flask bench rating`: the pure engine's speed (portal.rating.bench), then a 100,000-row deck
through the database: imported as a rate deck, and loaded back into an engine."""
import random
import time

import click

from portal.benchmarks import bench_group, scratch_app
from portal.extensions import db
from portal.models import RetailPlan, RetailRate, VoipPlan, VoipPlanRetailPlan
from portal.rating import bench
from portal.tariffs.decks import COLUMNS, import_deck
from portal.tariffs.loader import load_engine


@bench_group.command("rating")
@click.option("--prefixes", default=100_000, show_default=True)
@click.option("--carriers", default=3, show_default=True)
@click.option("--calls", default=1_000_000, show_default=True)
@click.option("--seed", default=2026, show_default=True)
def bench_rating_command(prefixes, carriers, calls, seed):
    """Calls per second with full LCR, prefix lookups per second, index memory, deck load time."""
    figures = bench.run(prefixes, carriers, calls, seed)
    width = max(map(len, figures))
    for name, value in figures.items():
        click.echo(f"{name.ljust(width)}  {value}")

    rows = bench.random_deck(random.Random(seed), prefixes, bench.Decimal(1))
    with scratch_app("sqlite"):
        plan = RetailPlan(name="Bench", currency="EUR")
        db.session.add(VoipPlan(name="Bench", currency="EUR", retail_links=[VoipPlanRetailPlan(retail_plan=plan)]))
        db.session.commit()
        deck = [(str(n), {name: getattr(rate, name) for name in COLUMNS}) for n, rate in enumerate(rows)]
        started = time.perf_counter()
        result = import_deck(RetailRate, plan.id, deck, "replace")
        db.session.commit()
        imported = time.perf_counter() - started
        started = time.perf_counter()
        load_engine()
        loaded = time.perf_counter() - started
        click.echo(f"{'db_deck_import_seconds'.ljust(width)}  {imported:.2f} ({result.created:,} rows)")
        click.echo(f"{'db_deck_load_seconds'.ljust(width)}  {loaded:.2f} (database rows to a ready engine)")
