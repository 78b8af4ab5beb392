"""Exact-number and longest-prefix lookup over rate decks, without scanning them.

One dict probe per prefix length that a deck actually has, longest first: a 100,000-row deck of
2–8 digit prefixes costs at most seven probes per number, however many rows it holds.

Each length has its own dict keyed by the prefix as an integer: the probe key is then one
integer division (no string slice to allocate and hash), and a probe that misses is usually
settled by the hash stored in the dict, without reading a key object from memory that, in a deck
of 100,000 rows, is rarely in the CPU cache. Within one length, distinct digit strings are
distinct integers, leading zeros included. Only as many leading digits as the longest prefix has
are turned into that integer: up to 9 digits it is a one-word int, which Python parses and
divides several times faster than the 12-digit number.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from .tariffs import Rate

_EARLIEST = datetime.min.replace(tzinfo=UTC)

#: Stands in a table for a prefix with several rows (dated ones, as a rule), which are kept apart
#: to be chosen by date. Recognised by identity, so a plain hit is returned without reading the
#: row (one cache miss fewer per lookup).
_SEVERAL = object()

#: Prefix tables: for each prefix length, {prefix as an integer: its row or `_SEVERAL`}.
Tables = dict[int, dict[int, object]]

#: Per number length, the probes to make, longest prefix first: (table.get, divisor that cuts
#: the number to the prefix length). Pairs, not also the length: unpacking is per probe, and only
#: the rare prefix with several rows needs the length (`PrefixIndex._dated` walks again for it).
Probes = tuple[tuple[Callable[[int], object], int], ...]


class _Contested(tuple):
    """A key's rows, best first, among which two took effect at the same moment and one has a
    peak price: which of those is cheaper depends on the band at the answer time."""

    __slots__ = ()


class PrefixIndex:
    """The rows of one deck by prefix and by exact number.

    Several rows for one key are allowed when their effective windows differ (a new deck loaded
    ahead of its date). Where windows overlap, the row that took effect last wins: it is the
    newer deck, superseding the older even when dearer. Rows that took effect at the same moment
    tie, and the tie goes to the lower price in force (the peak price in peak time, by
    `in_peak`, the deck's schedule), then the lower connect fee, never the dearer row; so the
    answer never depends on the order rows were given in. Numbers are strings of ASCII digits,
    as normalization makes them.
    """

    __slots__ = ("_in_peak", "_lengths", "_numbers", "_several", "_tables", "longest")

    def __init__(self, rates: Iterable[Rate], in_peak: Callable[[datetime], bool] | None = None) -> None:
        self._in_peak = in_peak
        self._tables: Tables = {}
        several: dict[str, list[Rate]] = {}
        numbers: dict[str, list[Rate]] = {}
        for rate in rates:
            if rate.number is not None:
                numbers.setdefault(rate.number, []).append(rate)
                continue
            key = rate.prefix
            table = self._tables.setdefault(len(key), {})
            if key in several:
                several[key].append(rate)
            elif (seen := table.get(int(key))) is None and rate.effective_from is None and rate.effective_to is None:
                table[int(key)] = rate  # the usual case: one row, always in effect
            else:
                several[key] = [rate] if seen is None else [seen, rate]
                table[int(key)] = _SEVERAL
        self._several = {key: _best_first(rows) for key, rows in several.items()}
        self._numbers = {number: _best_first(rows) for number, rows in numbers.items()}
        self._lengths = sorted(self._tables, reverse=True)
        #: longest(number, at): the row of the longest prefix of `number` that has a row in
        #: effect at `at` (UTC), or None.
        self.longest: Callable[[str, datetime], Rate | None] = _walker(
            self._tables, None, "entry is not SEVERAL", lambda number, at, entry: self._dated(number, at)
        )

    def exact(self, number: str, at: datetime) -> Rate | None:
        """The exact-number row for `number` in effect at `at` (UTC)."""
        rows = self._numbers.get(number)
        return None if rows is None else _in_effect(rows, at, self._in_peak)

    def _dated(self, number: str, at: datetime) -> Rate | None:
        """`longest` once a prefix with several rows is met: the walk again, now choosing among
        such rows by date and going on to shorter prefixes when none is in effect."""
        for length in self._lengths:
            if length <= len(number):
                entry = self._tables[length].get(int(number[:length]))
                if entry is _SEVERAL:
                    rate = _in_effect(self._several[number[:length]], at, self._in_peak)
                    if rate is not None:
                        return rate
                elif entry is not None:
                    return entry
        return None

    def find(self, number: str, at: datetime) -> Rate | None:
        """An exact-number row if there is one in effect, else the longest prefix."""
        if self._numbers:
            rows = self._numbers.get(number)
            if rows is not None and (rate := _in_effect(rows, at, self._in_peak)) is not None:
                return rate
        return self.longest(number, at)


class _Several(tuple):
    """A merged value in which some deck's entry is `_SEVERAL`: that deck must be asked itself."""

    __slots__ = ()


class SharedPrefixIndex:
    """Several decks answered by one walk down one number.

    Rating asks every deck of a VoIP plan (its retail plans and each carrier's) about the same
    number. Merging their prefixes into one index, whose value for each key holds every deck's
    own longest prefix of that key, turns decks × lengths probes into one walk: the longest
    merged key that starts the number carries each deck's answer, because a deck's longest
    prefix of the number starts that key too. Rows with effective dates and exact-number rows
    are rare, so a deck that has them where the walk ends is asked directly.
    """

    __slots__ = ("_indexes", "_none", "_with_numbers", "find_all")

    def __init__(self, indexes: Sequence[PrefixIndex]) -> None:
        self._indexes = tuple(indexes)
        self._none: tuple[object, ...] = (None,) * len(self._indexes)
        self._with_numbers = tuple(position for position, index in enumerate(self._indexes) if index._numbers)
        #: find_all(number, at): each deck's `find(number, at)`, in the order the decks were given.
        self.find_all: Callable[[str, datetime], Sequence[Rate | None]] = _walker(
            self._merge(), self._none, "False" if self._with_numbers else "type(entry) is not Several", self._patched
        )

    def _merge(self) -> Tables:
        """Every deck's prefixes, each with all decks' entries, built one prefix length at a time.

        Shortest lengths first, so a key's parent (the longest shorter key that starts it) is
        already merged: the key's value is its parent's, with the decks that have the key itself
        patched in. Keys are the tables' integers, and a parent is found by the same divisions
        a lookup makes.
        """
        lengths = sorted({length for index in self._indexes for length in index._tables})
        tables: Tables = {}
        for length in lengths:
            patches: dict[int, list[tuple[int, object]]] = {}
            for position, index in enumerate(self._indexes):
                for key, entry in index._tables.get(length, {}).items():
                    if key in patches:
                        patches[key].append((position, entry))
                    else:
                        patches[key] = [(position, entry)]
            parents = [(tables[shorter].get, 10 ** (length - shorter)) for shorter in reversed(tables)]
            merged: dict[int, object] = {}
            for key, patch in patches.items():
                inherited = self._none
                for get, divisor in parents:
                    parent = get(key // divisor)
                    if parent is not None:
                        inherited = parent
                        break
                value = list(inherited)
                several = type(inherited) is _Several  # whether `value` may hold `_SEVERAL`
                for position, entry in patch:
                    value[position] = entry
                    several = several or entry is _SEVERAL
                merged[key] = (_Several if several else tuple)(value)
            tables[length] = merged
        return tables

    def _patched(self, number: str, at: datetime, value: tuple[object, ...]) -> Sequence[Rate | None]:
        """The merged answer with what only the decks themselves know: their dated rows and
        their exact numbers."""
        found = list(value)
        for position, entry in enumerate(value):
            if entry is _SEVERAL:
                found[position] = self._indexes[position].longest(number, at)
        for position in self._with_numbers:
            rate = self._indexes[position].exact(number, at)
            if rate is not None:
                found[position] = rate
        return found


def _walker(
    tables: Tables, none: object, plain: str, finish: Callable[[str, datetime, Any], Any]
) -> Callable[[str, datetime], Any]:
    """The walk down a number through `tables`, longest prefix first, as a function of its own.

    A number at least as long as the longest prefix (nearly every number) takes one expression,
    `get8(value) or get7(value // 10) or ...`, generated here as dataclasses and namedtuple
    generate theirs: a loop over (table, divisor) pairs spends a quarter of a lookup unpacking
    them. Entries are rows, merged tuples or `_SEVERAL`, all true, so `or` stops at the first
    hit. A shorter number walks the tables its length allows in a loop. The walk answers the
    entry it stops at (`none` if none) when the expression `plain` holds for it, else
    `finish(number, at, entry)`. The source holds only integers and names made here.
    """
    lengths = sorted(tables, reverse=True)
    cut = lengths[0] if lengths else 0
    names: dict[str, Any] = {f"get{length}": tables[length].get for length in lengths}
    chain = " or ".join(f"get{length}(value // {10 ** (cut - length)})" for length in lengths[1:])
    chain = " or ".join(filter(None, [f"get{cut}(value)" if lengths else "", chain, "NONE"]))
    short = [  # for each number length below `cut`: the (get, divisor) pairs, longest first
        tuple((tables[length].get, 10 ** (size - length)) for length in lengths if length <= size)
        for size in range(cut)
    ]
    value = f"int(number[:{cut}])" if cut else "0"
    source = f"""
def walk(number, at):
    if len(number) >= {cut}:
        value = {value}
        entry = {chain}
    else:
        entry = NONE
        value = int(number) if number else 0
        for get, divisor in SHORT[len(number)]:
            hit = get(value // divisor)
            if hit is not None:
                entry = hit
                break
    return entry if {plain} else finish(number, at, entry)
"""
    namespace = {**names, "NONE": none, "SHORT": short, "SEVERAL": _SEVERAL, "Several": _Several, "finish": finish}
    exec(source, namespace)  # noqa: S102 - generated from integers and the names above only
    return namespace["walk"]


def _best_first(rows: list[Rate]) -> tuple[Rate, ...]:
    """Latest start first, then cheapest off-peak: the order `_in_effect` reads rows in."""
    ordered = sorted(rows, key=lambda rate: (rate.rate, rate.connect_fee))
    ordered.sort(key=lambda rate: rate.effective_from or _EARLIEST, reverse=True)  # stable
    starts = [rate.effective_from for rate in ordered]
    if len(set(starts)) < len(starts) and any(rate.rate_peak is not None for rate in ordered):
        return _Contested(ordered)
    return tuple(ordered)


def _in_effect(rows: tuple[Rate, ...], at: datetime, in_peak: Callable[[datetime], bool] | None) -> Rate | None:
    """The best row in effect at `at`: the first, unless rows that took effect with it are
    contested and `at` is in peak, when the peak prices decide."""
    for rate in rows:
        if rate.in_effect(at):
            if type(rows) is _Contested and in_peak is not None and in_peak(at):
                start = rate.effective_from
                return min(
                    (row for row in rows if row.effective_from == start and row.in_effect(at)),
                    key=lambda row: (row.rate if row.rate_peak is None else row.rate_peak, row.connect_fee),
                )
            return rate
    return None
