"""Longest-prefix and exact-number lookup, aware of effective dates (DESIGN §3.3)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.rating import PrefixIndex, Rate
from portal.rating.prefix_index import SharedPrefixIndex

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SWITCH = datetime(2026, 7, 1, tzinfo=UTC)


def row(key, price="0.01", **fields):
    kind = "number" if len(key) >= 10 else "prefix"
    return Rate(**{kind: key}, destination=f"dest {key}", rate=price, **fields)


DECK = PrefixIndex([row("4"), row("44"), row("447"), row("4479"), row("1"), row("442079460000", "0.5")])


@pytest.mark.parametrize(
    ("number", "prefix"),
    [
        ("447911123456", "4479"),
        ("447811123456", "447"),
        ("442079460001", "44"),
        ("442079460000", "44"),
        ("491234567", "4"),
        ("12125550123", "1"),
        ("33123456789", None),
        ("447", "447"),
        ("4", "4"),
    ],
)
def test_longest_prefix_wins(number, prefix):
    found = DECK.longest(number, NOW)
    assert (found.prefix if found else None) == prefix


@pytest.mark.parametrize(
    ("number", "expected"),
    [("442079460000", "442079460000"), ("4420794600001", None), ("44207946000", None)],
)
def test_an_exact_number_rule_matches_only_that_number(number, expected):
    found = DECK.exact(number, NOW)
    assert (found.number if found else None) == expected


def test_find_prefers_an_exact_number_rule_to_any_prefix():
    assert DECK.find("442079460000", NOW).number == "442079460000"
    assert DECK.find("442079460001", NOW).prefix == "44"


OLD = row("44", "0.02", effective_to=SWITCH)
NEW = row("44", "0.01", effective_from=SWITCH)
FUTURE_ONLY = row("447", "0.03", effective_from=SWITCH)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (SWITCH - timedelta(seconds=1), OLD),
        (SWITCH, NEW),
        (SWITCH + timedelta(days=400), NEW),
    ],
)
def test_a_new_deck_loaded_ahead_of_its_date_takes_over_on_that_date(at, expected):
    index = PrefixIndex([NEW, OLD])
    assert index.longest("442079460000", at) is expected


def test_a_longer_prefix_not_yet_in_effect_falls_back_to_a_shorter_one():
    index = PrefixIndex([OLD, NEW, FUTURE_ONLY])
    assert index.longest("447911123456", SWITCH - timedelta(seconds=1)) is OLD
    assert index.longest("447911123456", SWITCH) is FUTURE_ONLY


def test_effective_to_is_exclusive_and_nothing_in_effect_means_no_match():
    index = PrefixIndex([OLD])
    assert index.longest("442079460000", SWITCH) is None


def test_a_naive_effective_date_is_utc():
    rate = row("44", effective_from=datetime(2026, 7, 1))
    assert rate.effective_from == SWITCH


def test_overlapping_windows_go_to_the_latest_start_then_the_cheaper_row():
    always_dear = row("44", "0.05")
    later = row("44", "0.04", effective_from=SWITCH)
    later_cheaper = row("44", "0.03", effective_from=SWITCH)
    index = PrefixIndex([always_dear, later, later_cheaper])
    assert index.longest("4420", SWITCH) is later_cheaper
    assert index.longest("4420", SWITCH - timedelta(days=1)) is always_dear


def test_exact_number_rules_respect_effective_dates():
    ahead = row("442079460000", "0.5", effective_from=SWITCH)
    index = PrefixIndex([ahead])
    assert index.exact("442079460000", NOW) is None
    assert index.exact("442079460000", SWITCH) is ahead


def test_numbers_longer_than_15_digits_are_still_answered():
    assert DECK.longest("4479111234567890123", NOW).prefix == "4479"


HOUR = timedelta(hours=1)
digits = st.text(alphabet="0123", min_size=1, max_size=6)
windows = st.one_of(
    st.just((None, None)),
    st.tuples(st.integers(-3, 3), st.integers(1, 4)).map(lambda w: (NOW + w[0] * HOUR, NOW + (w[0] + w[1]) * HOUR)),
)
rows = st.lists(
    st.tuples(digits, st.integers(0, 99), windows).map(
        lambda r: Rate(prefix=r[0], rate=r[1], effective_from=r[2][0], effective_to=r[2][1])
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(deck=rows, number=st.text(alphabet="0123", min_size=3, max_size=15), offset=st.integers(-4, 6))
def test_longest_prefix_equals_a_brute_force_scan(deck, number, offset):
    at = NOW + offset * HOUR
    in_effect = [r for r in deck if number.startswith(r.prefix) and r.in_effect(at)]
    found = PrefixIndex(deck).longest(number, at)
    if not in_effect:
        assert found is None
        return
    longest = max(len(r.prefix) for r in in_effect)
    assert found.prefix is not None
    assert len(found.prefix) == longest
    assert found in in_effect
    latest = max((r.effective_from or datetime.min.replace(tzinfo=UTC)) for r in in_effect if r.prefix == found.prefix)
    assert (found.effective_from or datetime.min.replace(tzinfo=UTC)) == latest


numbered_rows = st.lists(
    st.tuples(st.text(alphabet="0123", min_size=3, max_size=6), st.integers(0, 99), windows).map(
        lambda r: Rate(number=r[0], rate=r[1], effective_from=r[2][0], effective_to=r[2][1])
    ),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    decks=st.lists(st.tuples(rows, numbered_rows).map(lambda d: d[0] + d[1]), min_size=1, max_size=4),
    number=st.text(alphabet="0123", min_size=3, max_size=15),
    offset=st.integers(-4, 6),
)
def test_one_walk_over_merged_decks_answers_as_each_deck_would(decks, number, offset):
    at = NOW + offset * HOUR
    indexes = [PrefixIndex(deck) for deck in decks]
    assert list(SharedPrefixIndex(indexes).find_all(number, at)) == [index.find(number, at) for index in indexes]


def test_merged_decks_fall_back_to_a_shorter_prefix_of_the_deck_whose_longer_one_is_dated():
    plain = PrefixIndex([row("4", "0.09"), row("44", "0.08"), row("4479", "0.07")])
    dated = PrefixIndex([row("4", "0.05"), row("447", "0.04", effective_from=SWITCH)])
    found = SharedPrefixIndex([plain, dated]).find_all("447911123456", NOW)
    assert [rate.prefix for rate in found] == ["4479", "4"]


def price_in_force(rate, peak):
    return rate.rate_peak if peak and rate.rate_peak is not None else rate.rate


def brute_force_find(deck, number, at, peak):
    """DESIGN §3.3 by scanning every row: rows in effect only; an exact-number row, else the
    longest prefix; several for that key: the latest start, then the lower price in force, then
    the lower connect fee. Returns the rows that would all be right answers."""
    in_effect = [r for r in deck if r.in_effect(at)]
    matching = [r for r in in_effect if r.number == number]
    if not matching:
        prefixed = [r for r in in_effect if r.prefix is not None and number.startswith(r.prefix)]
        longest = max((len(r.prefix) for r in prefixed), default=None)
        matching = [r for r in prefixed if len(r.prefix) == longest]
    if not matching:
        return []
    start = max(r.effective_from or datetime.min.replace(tzinfo=UTC) for r in matching)
    latest = [r for r in matching if (r.effective_from or datetime.min.replace(tzinfo=UTC)) == start]
    best = min((price_in_force(r, peak), r.connect_fee) for r in latest)
    return [r for r in latest if (price_in_force(r, peak), r.connect_fee) == best]


#: Few distinct prices, fees and starts, so that ties are common.
tied_windows = st.one_of(
    st.just((None, None)),
    st.tuples(st.sampled_from([-2, 0, 1]), st.integers(1, 4)).map(
        lambda w: (NOW + w[0] * HOUR, NOW + (w[0] + w[1]) * HOUR)
    ),
    st.sampled_from([-2, 0, 1]).map(lambda start: (NOW + start * HOUR, None)),
)
prices = st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 3)), st.integers(0, 1))


def deck_row(kind, key, price, window):
    rate, peak, fee = price
    return Rate(**{kind: key}, rate=rate, rate_peak=peak, connect_fee=fee, effective_from=window[0],
                effective_to=window[1])


@settings(max_examples=400, deadline=None)
@given(
    prefixed=st.lists(st.tuples(st.text(alphabet="012", min_size=1, max_size=5), prices, tied_windows), max_size=30),
    numbered=st.lists(st.tuples(st.text(alphabet="012", min_size=3, max_size=6), prices, tied_windows), max_size=8),
    data=st.data(),
    offset=st.integers(-3, 5),
    peak=st.sampled_from([None, False, True]),
)
def test_find_equals_a_brute_force_scan_of_numbers_prefixes_and_dates(prefixed, numbered, data, offset, peak):
    deck = [deck_row("prefix", *r) for r in prefixed] + [deck_row("number", *r) for r in numbered]
    exact_numbers = [r.number for r in deck if r.number is not None]
    number = data.draw(
        st.sampled_from(exact_numbers) if exact_numbers and data.draw(st.booleans())
        else st.text(alphabet="012", min_size=3, max_size=15)
    )
    at = NOW + offset * HOUR
    index = PrefixIndex(deck, None if peak is None else lambda _: peak)
    right = brute_force_find(deck, number, at, bool(peak))
    found = index.find(number, at)
    assert (found is None) if not right else any(found is r for r in right)


def test_a_later_start_supersedes_even_when_dearer_it_is_a_new_deck_not_a_tie():
    current = row("44", "0.01")
    rise = row("44", "0.02", effective_from=SWITCH)
    index = PrefixIndex([rise, current])
    assert index.longest("4420", SWITCH - timedelta(seconds=1)) is current
    assert index.longest("4420", SWITCH) is rise


DEAR = row("44", "0.05", connect_fee="0")
CHEAP = row("44", "0.04", connect_fee="0.10")
CHEAP_NO_FEE = row("44", "0.04", connect_fee="0")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([DEAR, CHEAP], CHEAP),
        ([CHEAP, DEAR], CHEAP),
        ([CHEAP, CHEAP_NO_FEE, DEAR], CHEAP_NO_FEE),
        ([CHEAP_NO_FEE, CHEAP], CHEAP_NO_FEE),
    ],
)
def test_rows_that_took_effect_together_tie_to_the_lower_rate_then_fee_never_the_dearer(rows, expected):
    assert PrefixIndex(rows).longest("4420", NOW) is expected
    as_numbers = [Rate(number="442079460000", rate=r.rate, connect_fee=r.connect_fee) for r in rows]
    assert PrefixIndex(as_numbers).find("442079460000", NOW) == Rate(
        number="442079460000", rate=expected.rate, connect_fee=expected.connect_fee
    )


CHEAP_OFF_PEAK = row("44", "0.01", rate_peak="0.10")
CHEAP_IN_PEAK = row("44", "0.02", rate_peak="0.03")


@pytest.mark.parametrize(("in_peak", "expected"), [(None, CHEAP_OFF_PEAK), (False, CHEAP_OFF_PEAK),
                                                   (True, CHEAP_IN_PEAK)])
def test_a_tie_in_peak_time_goes_to_the_lower_peak_price(in_peak, expected):
    index = PrefixIndex([CHEAP_OFF_PEAK, CHEAP_IN_PEAK], None if in_peak is None else lambda _: in_peak)
    assert index.longest("4420", NOW) is expected
    assert SharedPrefixIndex([index]).find_all("4420", NOW) == [expected]
