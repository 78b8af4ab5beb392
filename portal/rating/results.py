"""What the engine answers: plain immutable values holding Decimals, ints, strings and a trace.

They are NamedTuples rather than frozen dataclasses because several are made for every call and
a frozen dataclass costs four times as much to make; `_asdict()` turns one into a dict.
`trace` is a JSON-ready dict (Decimals as strings) stored with each rated call so that
anyone can see later why it cost what it did.
"""

from decimal import Decimal
from typing import Any, NamedTuple

from .lcr import Route

RATED = "rated"
INVALID_NUMBER = "invalid_number"
BANNED = "banned"
NO_RATE = "no_rate"
INSUFFICIENT_FUNDS = "insufficient_funds"


class Destination(NamedTuple):
    """Where a call went: the matched prefix (or the exact number) and its name."""

    prefix: str
    name: str


class RateTerms(NamedTuple):
    """The retail terms in force at one moment: peak or off-peak price already chosen."""

    per_minute: Decimal
    connect_fee: Decimal
    t1: int
    t2: int


class CallRating(NamedTuple):
    """A rated call. `status` is `rated` or the reason it could not be; the later fields are
    None when rating stopped early. `cost` is None when no carrier rate was found."""

    status: str
    number: str | None
    destination: Destination | None
    billable_seconds: int | None
    price: Decimal | None
    currency: str | None
    cost: Decimal | None
    cost_currency: str | None
    provider: str | None
    routes: tuple[Route, ...]
    trace: dict[str, Any]


class Authorization(NamedTuple):
    """May this call start, for how many seconds, and what to hold for it (in `currency`)."""

    allowed: bool
    reason: str | None
    number: str | None
    destination: Destination | None
    rate: RateTerms | None
    max_duration: int
    hold_amount: Decimal
    currency: str | None
    routes: tuple[Route, ...]
    trace: dict[str, Any]


class Lookup(NamedTuple):
    """The price of a number right now, and the routes it would take."""

    reason: str | None
    number: str | None
    destination: Destination | None
    rate: RateTerms | None
    currency: str | None
    routes: tuple[Route, ...]
    trace: dict[str, Any]
