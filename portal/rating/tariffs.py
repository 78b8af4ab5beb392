"""The tariff data the engine is built from, as plain immutable values.

The application converts its database rows into these once per tariff version; validating here
means a bad row is refused when a deck is loaded, not discovered on the hot path mid-call.
Money fields accept Decimals, decimal strings or ints and are stored as Decimals.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import NoReturn

from .errors import TariffError
from .money import ZERO, to_decimal
from .normalize import MAX_DIGITS, MIN_DIGITS, DialRule
from .peak import PeakSchedule
from .trace import text

MAX_DECIMALS = 10

#: ASCII digits only: `str.isdigit()` (and `isdecimal()`) also take other scripts' digits such as
#: Arabic-Indic "٤٤", which no dialed number normalizes to and no prefix could ever match.
_DIGITS = re.compile("[0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """One row of a deck: a price for a prefix, or for one exact number.

    Keyword-only because `prefix` and `number` are alternatives, so no position could be right
    for both. `effective_from` is inclusive and `effective_to` exclusive; a time without a zone is
    UTC. `t1` may be 0 (billing starts with the first `t2`), `t2` is at least 1 second. A missing
    destination name is stored as "".
    """

    prefix: str | None = None
    number: str | None = None
    destination: str = ""
    rate: Decimal
    rate_peak: Decimal | None = None
    connect_fee: Decimal = ZERO
    t1: int = 1
    t2: int = 1
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    #: The prefix or the number this row is for (stored: it is read for every route of every call).
    key: str = field(init=False, repr=False, compare=False)
    #: Its prices as a trace shows them (`trace.text`), made once here rather than for every call.
    rate_text: str = field(init=False, repr=False, compare=False)
    rate_peak_text: str | None = field(init=False, repr=False, compare=False)
    connect_fee_text: str = field(init=False, repr=False, compare=False)
    #: The engine's routes for this row, made when LCR first offers it (`lcr._routes`): (the
    #: carrier plan's deck they were made for, off-peak route, peak route). A row offered by
    #: another deck since (the same row in two plans) is given new ones.
    routes: tuple | None = field(init=False, repr=False, compare=False, default=None)
    #: The engine's `Destination` for this row, made when it first prices a call (`engine._answer`).
    answer: tuple | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        # A deck loads 100,000 of these at a time: fields are stored with object.__setattr__
        # itself and only when they change.
        prefix = self.prefix
        if (prefix is None) == (self.number is None):
            _refuse("prefix", "a rate has exactly one of prefix and number")
        if prefix is not None:
            _check_digits(prefix, "prefix", 1)
        else:
            _check_digits(self.number, "number", MIN_DIGITS)
        _set(self, "key", prefix if prefix is not None else self.number)
        if not self.destination:
            _set(self, "destination", "")
        rate = _price(self.rate, "rate")
        _set(self, "rate", rate)
        _set(self, "rate_text", text(rate))
        peak = self.rate_peak
        if peak is not None:
            peak = _price(peak, "rate_peak")
            _set(self, "rate_peak", peak)
        _set(self, "rate_peak_text", None if peak is None else text(peak))
        fee = _price(self.connect_fee, "connect_fee")
        _set(self, "connect_fee", fee)
        _set(self, "connect_fee_text", text(fee))
        if not _is_int(self.t1) or self.t1 < 0:
            _refuse("t1", f"t1 must be a whole number of seconds >= 0, not {self.t1!r}")
        if not _is_int(self.t2) or self.t2 < 1:
            _refuse("t2", f"t2 must be a whole number of seconds >= 1, not {self.t2!r}")
        start, end = self.effective_from, self.effective_to
        if start is not None:
            start = _utc(start, "effective_from")
            _set(self, "effective_from", start)
        if end is not None:
            end = _utc(end, "effective_to")
            _set(self, "effective_to", end)
            if start is not None and start >= end:
                _refuse("effective_to", "effective_from must be before effective_to")

    def in_effect(self, at: datetime) -> bool:
        """Whether the row applies at the UTC time `at`."""
        return (self.effective_from is None or self.effective_from <= at) and (
            self.effective_to is None or at < self.effective_to
        )


@dataclass(frozen=True, slots=True)
class RetailPlan:
    """What we sell at, in one currency; prices are rounded to `decimals` places."""

    id: int | str
    name: str
    currency: str
    decimals: int = 4
    peak: PeakSchedule | None = None
    rates: tuple[Rate, ...] = ()

    def __post_init__(self) -> None:
        _check_plan(self)


@dataclass(frozen=True, slots=True)
class Gateway:
    """Where the switch sends a call for a provider; `prefix` is the technical prefix it adds."""

    name: str
    host: str
    port: int = 5060
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class Provider:
    """A carrier. Lower `priority` wins a tie on cost; a disabled one gets no routes."""

    id: int | str
    name: str
    priority: int = 0
    enabled: bool = True
    gateways: tuple[Gateway, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "gateways", tuple(self.gateways))


@dataclass(frozen=True, slots=True)
class CarrierPlan:
    """What one provider charges us, the same shape as a retail plan."""

    id: int | str
    name: str
    currency: str
    provider: Provider
    decimals: int = 4
    peak: PeakSchedule | None = None
    rates: tuple[Rate, ...] = ()

    def __post_init__(self) -> None:
        _check_plan(self)


@dataclass(frozen=True, slots=True)
class RetailLink:
    """A retail plan on a VoIP plan, used only for callers starting with `caller_prefix`.

    Lower `priority` wins when two linked plans match a number equally well.
    """

    retail_plan_id: int | str
    caller_prefix: str = ""
    priority: int = 0

    def __post_init__(self) -> None:
        _set(self, "caller_prefix", self.caller_prefix or "")  # None, as a database gives it: no condition
        if self.caller_prefix:
            _check_digits(self.caller_prefix, "caller_prefix", 1)
        if not _is_int(self.priority):
            _refuse("priority", f"priority must be a whole number, not {self.priority!r}")


@dataclass(frozen=True, slots=True)
class VoipPlan:
    """What a customer is on: retail plans to price with, carrier plans to route over, bans.

    `no_loss` drops routes that cost more per minute than the retail price of the call.
    """

    id: int | str
    name: str
    retail_links: tuple[RetailLink, ...] = ()
    carrier_plan_ids: tuple[int | str, ...] = ()
    ban_prefixes: tuple[str, ...] = ()
    no_loss: bool = False
    dial_rules: tuple[DialRule, ...] = ()

    def __post_init__(self) -> None:
        for name in ("retail_links", "carrier_plan_ids", "ban_prefixes", "dial_rules"):
            _set(self, name, tuple(getattr(self, name)))
        for prefix in self.ban_prefixes:
            check_ban_prefix(prefix)


def check_ban_prefix(prefix: object) -> str:
    """A ban prefix as the engine takes it, else TariffError: what a form checks before storing one."""
    _check_digits(prefix, "ban prefix", 1, "ban_prefixes")
    return prefix


def _check_plan(plan: RetailPlan | CarrierPlan) -> None:
    if not (isinstance(plan.currency, str) and len(plan.currency) == 3 and plan.currency.isalpha()):
        _refuse("currency", f"currency must be a three-letter code, not {plan.currency!r}")
    if not _is_int(plan.decimals) or not 0 <= plan.decimals <= MAX_DECIMALS:
        _refuse("decimals", f"decimals must be 0 to {MAX_DECIMALS}, not {plan.decimals!r}")
    _set(plan, "rates", tuple(plan.rates))


def _check_digits(value: object, what: str, shortest: int, name: str | None = None) -> None:
    if not (isinstance(value, str) and _DIGITS.fullmatch(value) and shortest <= len(value) <= MAX_DIGITS):
        _refuse(name or what, f"{what} must be {shortest} to {MAX_DIGITS} digits (0-9), not {value!r}")


def _price(value: object, what: str) -> Decimal:
    if type(value) is Decimal and value.is_finite() and value >= 0:  # as a database gives it
        return value
    try:
        number = to_decimal(value, what)
    except ValueError as error:  # a float stays a TypeError: it is a programming error, not data
        _refuse(what, str(error))
    if number < 0:
        _refuse(what, f"{what} cannot be negative: {value!r}")
    return number


def _utc(value: datetime | None, what: str) -> datetime | None:
    """UTC, so that comparing with an answer time (also UTC) never consults a zone."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        _refuse(what, f"{what} must be a datetime, not {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse(name: str, message: str) -> NoReturn:
    """Raise the TariffError that names the one field it is about."""
    raise TariffError(message, {name: message})


#: Stores a normalized field on a frozen instance during its own validation.
_set = object.__setattr__
