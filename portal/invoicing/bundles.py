"""Included minutes of plans, given to calls in call order. Pure: plain values in, plain values out.

Each call (in the order the calls were made) takes its minutes from the first of the account's plans
whose prefixes match its number and that has minutes left (an unlimited plan always has). A call
longer than what is left is covered up to it; the rest, the overflow, is rated normally: its
per-minute price times the overflow seconds, rounded like any call (the connect fee belongs to the
covered part). A call no plan matches keeps its price; one whose plans are used up pays it in full.
The credit is what the call was charged minus what it costs after its included minutes.
"""
from decimal import Decimal
from typing import NamedTuple

from portal.rating.increments import charge
from portal.rating.money import ZERO, quantum


class Allowance(NamedTuple):
    """A plan's minutes for one account and month: `seconds` None means unlimited."""

    key: int
    prefixes: tuple[str, ...]
    seconds: int | None

    def matches(self, number):
        return not self.prefixes or number.startswith(self.prefixes)


class Call(NamedTuple):
    """A rated call as the allocation needs it: its price per minute and decimals from its trace."""

    id: int
    number: str
    billable_seconds: int
    price: Decimal
    per_minute: Decimal
    decimals: int


class Coverage(NamedTuple):
    """What included minutes did for one call."""

    call_id: int
    allowance: int
    covered_seconds: int
    overflow_seconds: int
    #: What the call costs after its included minutes.
    price_after: Decimal
    #: price − price_after: given back to the customer at the close.
    credit: Decimal


def allocate(calls, allowances):
    """Coverage of every call some plan matches, for `calls` in call order."""
    left = {allowance.key: allowance.seconds for allowance in allowances}
    covered = []
    for call in calls:
        if call.billable_seconds <= 0:
            continue
        matching = [allowance for allowance in allowances if allowance.matches(call.number)]
        if not matching:
            continue
        chosen = next((a for a in matching if left[a.key] is None or left[a.key] > 0), matching[0])
        available = left[chosen.key]
        seconds = call.billable_seconds if available is None else min(available, call.billable_seconds)
        if available is not None:
            left[chosen.key] = available - seconds
        overflow = call.billable_seconds - seconds
        price_after = _overflow_price(call, overflow) if seconds else call.price
        covered.append(Coverage(call.id, chosen.key, seconds, overflow, price_after, call.price - price_after))
    return covered


def _overflow_price(call, overflow):
    """The overflow rated normally, never dearer than the whole call."""
    if overflow == 0:
        return ZERO
    _, rounded = charge(call.per_minute, ZERO, overflow, quantum(call.decimals))
    return min(rounded, call.price)
