"""How long a call may last on the money an account has: the answer to an authorization.

The longest allowed call is found by solving the price formula for the number of T2 steps in
Decimal arithmetic and then checking the neighbours, so the answer costs the same for a
ten-second budget as for a ten-year one.
"""

from decimal import Context, Decimal
from typing import NamedTuple

from .increments import SECONDS_PER_MINUTE, billable_seconds, charge
from .money import round_down

DEFAULT_MAX_CALL_SECONDS = 10800

#: Solving the price formula needs more digits than pricing, so that its estimate of the number
#: of steps is off by at most one; a context of its own keeps it from the thread's.
_SOLVE_CONTEXT = Context(prec=60)


class Allowance(NamedTuple):
    """How long a call may last, and whether that is the cap rather than the money."""

    seconds: int
    capped: bool


def first_increment(t1: int, t2: int) -> int:
    """The shortest call that can be billed: T1, or one T2 when T1 is 0.

    With T1 = 0 an answered call still bills at least one T2 (billable seconds round up to T2
    steps), so that is the smallest amount an account must be able to pay for.
    """
    return t1 if t1 else t2


def max_duration(
    per_minute: Decimal,
    connect_fee: Decimal,
    t1: int,
    t2: int,
    step: Decimal,
    available: Decimal,
    cap: int = DEFAULT_MAX_CALL_SECONDS,
) -> Allowance | None:
    """The longest first-increment + k×T2 seconds whose rounded price is within `available`,
    capped at `cap`; None when not even the first increment (connect fee included) is.

    A free rate is only limited by the cap.
    """
    first = first_increment(t1, t2)

    def affordable(seconds: int) -> bool:
        return charge(per_minute, connect_fee, billable_seconds(seconds, t1, t2), step)[1] <= available

    if not affordable(first):
        return None
    if affordable(cap):  # a free rate always is; checking first also keeps huge budgets exact
        return Allowance(cap, True)
    # From here the cap is out of reach, so the rate is not free and the answer is below the cap.
    # A rounded price is at most `available` exactly when the unrounded one is below the last
    # whole step within it plus half a step (ROUND_HALF_UP); solve that for the seconds.
    solve = _SOLVE_CONTEXT
    ceiling = solve.add(round_down(available, step), solve.divide(step, 2))
    seconds_bound = solve.divide(solve.multiply(solve.subtract(ceiling, connect_fee), SECONDS_PER_MINUTE), per_minute)
    steps = max(int(solve.divide_int(solve.subtract(seconds_bound, first), t2)), 0)
    if affordable(first + (steps + 1) * t2):
        steps += 1
    elif not affordable(first + steps * t2):
        steps -= 1
    return Allowance(first + steps * t2, False)
