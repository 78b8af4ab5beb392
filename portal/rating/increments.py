"""Billable seconds and the price of a call, the same way for retail prices and carrier costs.

The price is rounded once, on the whole call: rounding each increment would let a per-second
rate drift by up to half a step per second.
"""

from decimal import ROUND_HALF_UP, Decimal

from .money import RATING_CONTEXT, ZERO, round_half_up

SECONDS_PER_MINUTE = 60

_add, _multiply, _divide = RATING_CONTEXT.add, RATING_CONTEXT.multiply, RATING_CONTEXT.divide


def billable_seconds(billsec: int, t1: int, t2: int) -> int:
    """0 for an unanswered call, T1 up to T1, then whole T2 steps: 30 s at 10/6 bills 34 s."""
    if billsec <= 0:
        return 0
    if billsec <= t1:
        return t1
    return t1 + -(-(billsec - t1) // t2) * t2


def charge(per_minute: Decimal, connect_fee: Decimal, billable: int, step: Decimal) -> tuple[Decimal, Decimal]:
    """(unrounded, rounded) price of `billable` seconds; nothing at all, not even the connect
    fee, when the call was not answered."""
    if billable == 0:
        return ZERO, round_half_up(ZERO, step)
    exact = _add(connect_fee, _divide(_multiply(per_minute, billable), SECONDS_PER_MINUTE))
    return exact, exact.quantize(step, ROUND_HALF_UP, RATING_CONTEXT)  # round_half_up() minus a call


def price_call(
    per_minute: Decimal, connect_fee: Decimal, t1: int, t2: int, billsec: int, step: Decimal
) -> tuple[int, Decimal, Decimal]:
    """(billable seconds, unrounded, rounded price) of a call lasting `billsec` seconds.

    `billable_seconds` and then `charge`, written out in one function because every rated call
    makes it twice (its price and its cost); a test holds it to the two.
    """
    if billsec <= 0:
        return 0, ZERO, round_half_up(ZERO, step)
    billable = t1 if billsec <= t1 else t1 + -(-(billsec - t1) // t2) * t2
    exact = _add(connect_fee, _divide(_multiply(per_minute, billable), SECONDS_PER_MINUTE))
    return billable, exact, exact.quantize(step, ROUND_HALF_UP, RATING_CONTEXT)
