"""How fast the engine rates, on decks the size of a real carrier's.

Decks are random but shaped like real ones (2–8 digit prefixes under real country codes, a few
rows replaced by a deck that takes effect mid-week, peak schedules on the retail plan and one
carrier) and seeded, so two runs on one machine rate the same calls. Calls arrive in time order
over a week that includes the European clock change, as CDRs do, and are rated with full LCR
over every carrier; a fifth name the carrier that took them.

Speeds are per CPU second of this one process (`process_time`), so other work on a shared
machine does not count against them; `rating_wall_seconds` is there for comparison.
`index_memory_mb` is what building the engine allocates (the rate rows themselves excluded).
Timing uses integer nanoseconds and reports Decimals, keeping floats out of this package.

    python -m portal.rating.bench [--prefixes N] [--carriers N] [--calls N] [--seed N]
"""

import argparse
import os
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from .engine import RatingEngine, freeze_heap
from .normalize import national_rules
from .peak import PeakSchedule
from .prefix_index import PrefixIndex
from .tariffs import CarrierPlan, Gateway, Provider, Rate, RetailLink, RetailPlan, VoipPlan

WEEK_START = datetime(2026, 3, 23, tzinfo=UTC)
#: Rows from this moment come from the "next" deck, loaded ahead of its date.
NEXT_DECK_FROM = datetime(2026, 3, 26, tzinfo=UTC)
INCREMENTS = ((1, 1), (30, 6), (60, 60), (60, 1), (0, 6), (10, 6))
MAX_PREFIX_DIGITS = 8
LOOKUP_SAMPLE = 1_000_000
_STEP = Decimal("0.00001")
_PEAK_MARKUP = Decimal("1.3")
_NEXT_DECK_MARKUP = Decimal("0.95")


def run(prefixes: int = 100_000, carriers: int = 3, calls: int = 1_000_000, seed: int = 2026) -> dict:
    """Build the decks, rate `calls` calls with full LCR and measure; returns the figures."""
    rng = random.Random(seed)
    started = time.process_time_ns()
    retail_rates = random_deck(rng, prefixes, Decimal("1.25"))
    carrier_decks = [random_deck(rng, prefixes, Decimal(1)) for _ in range(carriers)]
    deck_ns = time.process_time_ns() - started

    retail = RetailPlan(
        1,
        "Retail",
        "GBP",
        peak=PeakSchedule("Europe/London", range(5), "08:00", "19:00", "GB"),
        rates=retail_rates,
    )
    carrier_plans = [
        CarrierPlan(
            100 + n,
            f"Carrier {n} deck",
            "GBP",
            Provider(n, f"carrier-{n}", priority=n % 2, gateways=(Gateway(f"gw{n}", f"10.0.0.{n + 1}"),)),
            peak=PeakSchedule("America/New_York", range(5), "07:00", "19:00", "US") if n == 0 else None,
            rates=rates,
        )
        for n, rates in enumerate(carrier_decks)
    ]
    voip = VoipPlan(
        1,
        "Standard",
        retail_links=(RetailLink(1),),
        carrier_plan_ids=tuple(plan.id for plan in carrier_plans),
        ban_prefixes=("1900", "44909"),
        dial_rules=national_rules("GB"),
    )

    started = time.process_time_ns()
    engine = RatingEngine([retail], carrier_plans, [voip])
    build_ns = time.process_time_ns() - started
    started = time.process_time_ns()
    freeze_heap()  # as the portal's engine cache does with an engine this large
    freeze_ns = time.process_time_ns() - started

    tracemalloc.start()
    measured = RatingEngine([retail], carrier_plans, [voip])
    index_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del measured

    workload = _calls(rng, [rate.key for rate in retail_rates], [plan.provider.name for plan in carrier_plans], calls)
    rate = engine.rate
    started, wall_started = time.process_time_ns(), time.perf_counter_ns()
    for caller, callee, answer_at, billsec, provider in workload:
        rate(1, caller, callee, answer_at, billsec, provider=provider)
    rating_ns, rating_wall_ns = time.process_time_ns() - started, time.perf_counter_ns() - wall_started

    index = PrefixIndex(retail_rates)
    numbers = [callee.lstrip("+0") for _, callee, _, _, _ in workload[:LOOKUP_SAMPLE]]
    longest, at = index.longest, NEXT_DECK_FROM
    started = time.process_time_ns()
    for number in numbers:
        longest(number, at)
    lookup_ns = time.process_time_ns() - started

    return {
        "prefixes": prefixes,
        "carriers": carriers,
        "deck_rows": len(retail_rates) + sum(len(rates) for rates in carrier_decks),
        "calls": calls,
        "seed": seed,
        "deck_seconds": _ratio(deck_ns, 10**9, "0.001"),
        "build_seconds": _ratio(build_ns, 10**9, "0.001"),
        "freeze_seconds": _ratio(freeze_ns, 10**9, "0.001"),
        "calls_per_second": _ratio(calls * 10**9, rating_ns, "1"),
        "us_per_call": _ratio(rating_ns, calls * 1000, "0.01"),
        "rating_wall_seconds": _ratio(rating_wall_ns, 10**9, "0.001"),
        "lookups": len(numbers),
        "prefix_lookups_per_second": _ratio(len(numbers) * 10**9, lookup_ns, "1"),
        "index_memory_mb": _ratio(index_bytes, 2**20, "0.1"),
        # Which interpreter: an optimised build (PGO, LTO) rates about a quarter faster (README).
        "python": f"{sys.version.split()[0]} ({os.path.realpath(sys.executable)})",
    }


def random_deck(rng: random.Random, size: int, markup: Decimal) -> list[Rate]:
    """`size` prefixes: every country code, then random extensions of them up to 8 digits.

    About 1% of prefixes also get a row from the next deck, so effective dates are exercised.
    """
    codes = [str(code) for code in sorted(COUNTRY_CODE_TO_REGION_CODE)]
    keys = {code: code for code in codes[:size]}
    while len(keys) < size:
        code = rng.choice(codes)
        length = rng.randint(max(2, len(code) + 1), MAX_PREFIX_DIGITS)
        keys.setdefault(code + "".join(rng.choices("0123456789", k=length - len(code))), code)
    rates = []
    for prefix, code in keys.items():
        region = COUNTRY_CODE_TO_REGION_CODE[int(code)][0]
        destination = region if prefix == code else f"{region} {prefix[len(code) :]}"
        t1, t2 = rng.choice(INCREMENTS)
        row = {
            "prefix": prefix,
            "destination": destination,
            "connect_fee": Decimal(rng.randint(1, 5)).scaleb(-2) if _chance(rng, 10) else Decimal(0),
            "t1": t1,
            "t2": t2,
        }
        price = (Decimal(rng.randint(10, 20_000)).scaleb(-5) * markup).quantize(_STEP)
        peak = (price * _PEAK_MARKUP).quantize(_STEP) if _chance(rng, 30) else None
        if _chance(rng, 1):
            rates.append(Rate(**row, rate=price, rate_peak=peak, effective_to=NEXT_DECK_FROM))
            price = (price * _NEXT_DECK_MARKUP).quantize(_STEP)
            rates.append(Rate(**row, rate=price, rate_peak=peak, effective_from=NEXT_DECK_FROM))
        else:
            rates.append(Rate(**row, rate=price, rate_peak=peak))
    return rates


def _chance(rng: random.Random, percent: int) -> bool:
    return rng.randrange(100) < percent


def _calls(rng: random.Random, keys: list[str], providers: list[str], count: int) -> list[tuple]:
    """Calls to numbers under the deck's prefixes, dialed in the ways customers dial, in time order."""
    seconds = sorted(rng.randrange(7 * 24 * 3600) for _ in range(count))
    calls = []
    for offset in seconds:
        key = rng.choice(keys)
        number = key + "".join(rng.choices("0123456789", k=max(0, rng.randint(10, 12) - len(key))))
        callee = ("+" if _chance(rng, 50) else "00") + number
        billsec = 0 if _chance(rng, 30) else rng.randint(1, 600)
        provider = rng.choice(providers) if _chance(rng, 20) else None
        calls.append(("442071234567", callee, WEEK_START + timedelta(seconds=offset), billsec, provider))
    return calls


def _ratio(numerator: int, denominator: int, places: str) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefixes", type=int, default=100_000)
    parser.add_argument("--carriers", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    figures = run(arguments.prefixes, arguments.carriers, arguments.calls, arguments.seed)
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
