"""Billable seconds from T1/T2 and a price rounded once per call (DESIGN §3.4 and §3.6)."""

from decimal import ROUND_DOWN, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.rating import billable_seconds, charge
from portal.rating.increments import price_call

STEP_4 = Decimal("0.0001")


@pytest.mark.parametrize(
    ("billsec", "t1", "t2", "billable"),
    [
        (0, 10, 6, 0),
        (1, 10, 6, 10),
        (10, 10, 6, 10),
        (11, 10, 6, 16),
        (30, 10, 6, 34),
        (1, 1, 1, 1),
        (59, 1, 1, 59),
        (1, 60, 60, 60),
        (61, 60, 60, 120),
        (61, 60, 1, 61),
        (0, 0, 6, 0),
        (1, 0, 6, 6),
        (6, 0, 6, 6),
        (7, 0, 6, 12),
        (31, 30, 6, 36),
    ],
)
def test_billable_seconds_are_t1_then_whole_t2_steps(billsec, t1, t2, billable):
    assert billable_seconds(billsec, t1, t2) == billable


@pytest.mark.parametrize(
    ("per_minute", "connect_fee", "billable", "step", "price"),
    [
        ("0.60", "0", 34, STEP_4, "0.3400"),
        ("0.0005", "0", 30, STEP_4, "0.0003"),  # 0.00025: half up, not half even
        ("0.0125", "0", 6, STEP_4, "0.0013"),  # 0.00125
        ("0.0003", "0", 30, STEP_4, "0.0002"),  # 0.00015
        ("0.0004", "0", 30, STEP_4, "0.0002"),  # 0.0002 exactly
        ("0.01", "0", 30, Decimal("0.01"), "0.01"),  # 0.005 with 2 decimals
        ("0.01", "0.10", 60, Decimal("0.01"), "0.11"),
        ("0.0001", "0", 90, STEP_4, "0.0002"),  # 0.00015 once, not 90 × 0.0000017 rounded to 0
        ("0.123456", "0.05", 61, Decimal("0.000001"), "0.175514"),  # 0.1755136
    ],
)
def test_price_is_connect_fee_plus_per_minute_pro_rata_rounded_half_up_once(
    per_minute, connect_fee, billable, step, price
):
    unrounded, rounded = charge(Decimal(per_minute), Decimal(connect_fee), billable, step)
    assert rounded == Decimal(price)
    assert str(rounded) == price
    assert unrounded == Decimal(connect_fee) + Decimal(per_minute) * billable / 60


def test_an_unanswered_call_costs_nothing_not_even_the_connect_fee():
    assert charge(Decimal("0.10"), Decimal("0.25"), 0, STEP_4) == (Decimal(0), Decimal("0.0000"))


increments = st.tuples(st.integers(0, 120), st.integers(1, 120))


@given(billsec=st.integers(1, 20_000), t=increments)
def test_billable_covers_billsec_by_less_than_one_increment(billsec, t):
    t1, t2 = t
    billable = billable_seconds(billsec, t1, t2)
    assert billsec <= billable < billsec + max(t1, t2)


prices = st.decimals(min_value=0, max_value=100, places=5)


@given(
    billsec=st.integers(0, 20_000),
    longer_by=st.integers(1, 600),
    t=increments,
    per_minute=prices,
    connect_fee=prices,
    decimals=st.integers(0, 6),
)
def test_price_never_falls_as_the_call_gets_longer(billsec, longer_by, t, per_minute, connect_fee, decimals):
    step = Decimal(1).scaleb(-decimals)

    def price(seconds):
        return charge(per_minute, connect_fee, billable_seconds(seconds, *t), step)[1]

    assert price(billsec) <= price(billsec + longer_by)


def test_the_price_does_not_depend_on_the_callers_decimal_context():
    expected = charge(Decimal("0.123456"), Decimal("0.05"), 61, Decimal("0.000001"))
    with localcontext() as context:
        context.prec = 3
        context.rounding = ROUND_DOWN
        assert charge(Decimal("0.123456"), Decimal("0.05"), 61, Decimal("0.000001")) == expected


@given(
    billsec=st.integers(0, 20_000),
    t=st.tuples(st.integers(0, 120), st.integers(1, 120)),
    per_minute=st.decimals(min_value=0, max_value=100, places=6),
    connect_fee=st.decimals(min_value=0, max_value=5, places=4),
    decimals=st.integers(0, 10),
)
def test_the_fused_price_is_billable_seconds_then_charge(billsec, t, per_minute, connect_fee, decimals):
    """`price_call` writes out the two rules for speed; it must never say anything else."""
    step = Decimal(1).scaleb(-decimals)
    billable = billable_seconds(billsec, *t)
    assert price_call(per_minute, connect_fee, *t, billsec, step) == (billable, *charge(per_minute, connect_fee, billable, step))
