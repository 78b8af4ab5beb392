"""`flask bench rating`: the pure engine's speed (portal.rating.bench), then a deck as large as
`--prefixes` through each chosen database: imported as a rate deck, and loaded back into an
engine. The three figures issue 3 sets a target for are printed last, each with its target and
PASS or MISS, so one run says whether the engine is fast enough."""
import random
import time
from decimal import Decimal

import click

from portal.benchmarks import bench_group, database_kinds, scratch_app
from portal.extensions import db
from portal.models import RetailPlan, RetailRate, VoipPlan, VoipPlanRetailPlan
from portal.rating import bench
from portal.tariffs.cache import settle
from portal.tariffs.decks import COLUMNS, import_deck
from portal.tariffs.loader import load_engine

#: Issue 3's targets: calls rated with full LCR and prefix lookups, per CPU second of one core...
CALLS_PER_SECOND = 50_000
LOOKUPS_PER_SECOND = 1_000_000
#: ...and the wall-clock seconds from a 100,000-row deck in the database to a ready engine.
DECK_LOAD_SECONDS = 3


def _database_deck(kind, rows):
    """(seconds to import `rows` as a retail deck, seconds to load them back into an engine ready
    to serve, as the engine cache makes it) on a scratch database of `kind`. A load that refused
    rows would time less work than a real one, so it stops the benchmark instead of being reported."""
    with scratch_app(kind):
        plan = RetailPlan(name="Bench", currency="EUR")
        db.session.add(VoipPlan(name="Bench", currency="EUR", retail_links=[VoipPlanRetailPlan(retail_plan=plan)]))
        db.session.commit()
        deck = [(str(n), {name: getattr(rate, name) for name in COLUMNS}) for n, rate in enumerate(rows)]
        started = time.perf_counter()
        import_deck(RetailRate, plan.id, deck, "replace")
        db.session.commit()
        imported = time.perf_counter() - started
        started = time.perf_counter()
        loaded = load_engine()
        settle(loaded.engine)  # as the engine cache does before serving it
        seconds = time.perf_counter() - started
        if loaded.problems:
            raise click.ClickException(f"{kind}: the bench deck did not load whole: {loaded.problems[:3]}")
        return imported, seconds


@bench_group.command("rating")
@click.option("--database", "choice", type=click.Choice(["sqlite", "postgresql", "both"]), default="sqlite",
              show_default=True, help="Where the deck is imported and loaded back from.")
@click.option("--prefixes", default=100_000, show_default=True,
              help="Prefixes of the retail deck, of each carrier deck and of the database deck.")
@click.option("--carriers", default=3, show_default=True, help="Carrier decks routed over (full LCR).")
@click.option("--calls", default=1_000_000, show_default=True, help="Random calls rated.")
@click.option("--seed", default=2026, show_default=True)
def bench_rating_command(choice, prefixes, carriers, calls, seed):
    """Calls per second with full LCR, prefix lookups per second, index memory, deck load time."""
    figures = bench.run(prefixes, carriers, calls, seed)
    width = max(map(len, figures))
    for name, value in figures.items():
        click.echo(f"{name.ljust(width)}  {value}")

    rows = bench.random_deck(random.Random(seed), prefixes, Decimal(1))
    loads = {}
    for kind in database_kinds(choice):
        imported, loads[kind] = _database_deck(kind, rows)
        click.echo(f"{kind}: deck of {len(rows):,} rows imported in {imported:.2f} s (no target)")

    judged = judge(figures, len(rows), loads)
    click.echo("\ntargets (issue 3)")
    label_width, value_width, target_width = (max(len(line[n]) for line in judged) for n in range(3))
    for label, value, target, met in judged:
        click.echo(f"  {label.ljust(label_width)}  {value.rjust(value_width)}  {target.ljust(target_width)}  "
                   f"{'PASS' if met else 'MISS'}")


def judge(figures, rows, loads):
    """(figure, value, target, met) for each target: the engine's two speeds from `figures`, then
    the deck load of `rows` rows on each database in `loads` ({kind: seconds})."""
    calls_per_second, lookups = figures["calls_per_second"], figures["prefix_lookups_per_second"]
    return [
        ("calls/s, full LCR", f"{calls_per_second:,}", f">= {CALLS_PER_SECOND:,}",
         calls_per_second >= CALLS_PER_SECOND),
        ("prefix lookups/s", f"{lookups:,}", f">= {LOOKUPS_PER_SECOND:,}", lookups >= LOOKUPS_PER_SECOND),
    ] + [
        (f"{kind}: deck load, {rows:,} rows", f"{seconds:.2f} s", f"< {DECK_LOAD_SECONDS} s",
         seconds < DECK_LOAD_SECONDS)
        for kind, seconds in loads.items()
    ]
