"""Authorization: how long a call may last on what an account has (DESIGN §3.9)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.rating import (
    INSUFFICIENT_FUNDS,
    NO_RATE,
    CarrierPlan,
    Provider,
    Rate,
    RateTerms,
    RatingEngine,
    RetailLink,
    RetailPlan,
    VoipPlan,
    billable_seconds,
    charge,
    max_duration,
)
from portal.rating.max_duration import first_increment

STEP_4 = Decimal("0.0001")
CAP = 10800
AT = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)


def allowed_seconds(per_minute, connect_fee, t1, t2, available, step=STEP_4, cap=CAP):
    allowance = max_duration(Decimal(per_minute), Decimal(connect_fee), t1, t2, step, Decimal(available), cap)
    return None if allowance is None else allowance.seconds


@pytest.mark.parametrize(
    ("per_minute", "connect_fee", "t1", "t2", "available", "seconds"),
    [
        ("0.06", "0", 1, 1, "1.00", 1000),
        ("0.06", "0", 1, 1, "1.00009", 1000),
        ("0.06", "0", 1, 1, "0.001", 1),
        ("0.06", "0", 1, 1, "0.0009", None),
        ("0.06", "0.10", 1, 1, "0.10", None),  # connect fee + first second is 0.1010
        ("0.06", "0.10", 1, 1, "0.101", 1),
        ("1.00", "0", 60, 60, "1.00", 60),
        ("1.00", "0", 60, 60, "0.99", None),
        ("1.00", "0", 60, 60, "2.50", 120),
        ("0.60", "0", 10, 6, "0.34", 34),
        ("0.60", "0", 10, 6, "0.3399", 28),
        ("0.0001", "0", 1, 1, "0", 29),  # 30 s would cost 0.00005, which rounds up to 0.0001
        ("0.0001", "0", 1, 1, "100", CAP),
        ("0", "0", 60, 60, "0", CAP),
        ("0", "0.05", 60, 60, "0.05", CAP),
        ("0", "0.05", 60, 60, "0.04", None),
        ("0.01", "0", 1, 1, "-0.01", None),
        ("0", "0", 1, 1, "-0.01", None),
        ("0.60", "0", 0, 6, "0.05", None),  # T1 = 0: the first increment is one T2 (0.06)
        ("0.60", "0", 0, 6, "0.11", 6),
        ("0.60", "0", 0, 6, "0.12", 12),
        ("0.06", "0", 1, 1, "1E+30", CAP),
    ],
)
def test_the_longest_affordable_first_increment_plus_t2_steps_up_to_the_cap(
    per_minute, connect_fee, t1, t2, available, seconds
):
    assert allowed_seconds(per_minute, connect_fee, t1, t2, available) == seconds


def test_the_cap_is_reported_as_such_and_may_be_shorter_than_the_first_increment():
    assert max_duration(Decimal("0.01"), Decimal(0), 60, 60, STEP_4, Decimal(100), 30) == (30, True)
    assert max_duration(Decimal("0.01"), Decimal(0), 60, 60, STEP_4, Decimal("0.02"), CAP) == (120, False)


@pytest.mark.parametrize(("t1", "t2", "first"), [(30, 6, 30), (1, 1, 1), (0, 6, 6), (0, 1, 1)])
def test_the_first_increment_is_t1_or_one_t2_when_t1_is_zero(t1, t2, first):
    assert first_increment(t1, t2) == first


prices = st.decimals(min_value=0, max_value=5, places=5)


@settings(max_examples=300, deadline=None)
@given(
    per_minute=prices,
    connect_fee=prices,
    t1=st.integers(0, 120),
    t2=st.integers(1, 120),
    decimals=st.integers(0, 6),
    available=st.decimals(min_value=-1, max_value=1000, places=6),
    cap=st.integers(1, 20_000),
)
def test_price_of_max_duration_fits_and_one_more_t2_would_not_unless_capped(
    per_minute, connect_fee, t1, t2, decimals, available, cap
):
    step = Decimal(1).scaleb(-decimals)

    def price(seconds):
        return charge(per_minute, connect_fee, billable_seconds(seconds, t1, t2), step)[1]

    allowance = max_duration(per_minute, connect_fee, t1, t2, step, available, cap)
    if allowance is None:
        assert price(first_increment(t1, t2)) > available
        return
    assert price(allowance.seconds) <= available
    if allowance.capped:
        assert allowance.seconds == cap
    else:
        assert allowance.seconds < cap
        assert available < price(allowance.seconds + t2)


def engine(max_call_seconds=CAP):
    retail = RetailPlan(
        1,
        "Retail",
        "EUR",
        rates=[Rate(prefix="33", destination="France", rate="0.60", connect_fee="0.05", t1=30, t2=6)],
    )
    carrier = CarrierPlan(1, "Carrier", "EUR", Provider(1, "a"), rates=[Rate(prefix="33", rate="0.01")])
    voip = VoipPlan(1, "Plan", retail_links=[RetailLink(1)], carrier_plan_ids=[1])
    return RatingEngine([retail], [carrier], [voip], max_call_seconds=max_call_seconds)


def test_authorize_allows_with_max_duration_hold_routes_and_the_rate_in_force():
    authorization = engine().authorize(1, "", "+33 1 23 45 67 89", AT, "1.00")
    assert authorization.allowed and authorization.reason is None
    assert authorization.number == "33123456789"
    assert authorization.rate == RateTerms(Decimal("0.60"), Decimal("0.05"), 30, 6)
    # 0.05 + 0.01/s: 90 s cost 0.95, 96 s would cost 1.01.
    assert (authorization.max_duration, authorization.hold_amount) == (90, Decimal("0.9500"))
    assert authorization.currency == "EUR"
    assert [route.provider for route in authorization.routes] == ["a"]
    assert authorization.trace["first_increment_price"] == "0.3500"


def test_authorize_refuses_when_the_first_increment_is_not_affordable():
    authorization = engine().authorize(1, "", "33123456789", AT, Decimal("0.3499"))
    assert (authorization.allowed, authorization.reason) == (False, INSUFFICIENT_FUNDS)
    assert (authorization.max_duration, authorization.hold_amount, authorization.routes) == (0, Decimal(0), ())
    assert authorization.destination.name == "France"


def test_authorize_caps_the_duration_and_holds_the_price_of_the_cap():
    authorization = engine(max_call_seconds=100).authorize(1, "", "33123456789", AT, 1000)
    assert (authorization.max_duration, authorization.hold_amount) == (100, Decimal("1.0700"))
    assert authorization.trace["capped"] is True


def test_authorize_gives_the_rating_reason_when_the_call_cannot_be_priced():
    authorization = engine().authorize(1, "", "+44 20 7946 0000", AT, "1.00")
    assert (authorization.allowed, authorization.reason, authorization.rate) == (False, NO_RATE, None)
