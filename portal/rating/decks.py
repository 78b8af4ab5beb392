"""A plan made ready to answer: its rows indexed, its peak calendar loaded, its rounding step."""

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from .money import quantum
from .peak import PeakCalendar
from .prefix_index import PrefixIndex
from .tariffs import CarrierPlan, Rate, RetailPlan

PEAK = "peak"
OFF_PEAK = "off-peak"
NO_SCHEDULE = "no peak schedule"

_new = tuple.__new__


class Quote(NamedTuple):
    """A row of a deck together with the price per minute it has at one moment, and why."""

    deck: "Deck"
    rate: Rate
    per_minute: Decimal
    band: str
    band_reason: str


class Deck:
    """One retail or carrier plan, compiled once per engine."""

    __slots__ = ("calendar", "index", "plan", "step")

    def __init__(self, plan: RetailPlan | CarrierPlan, calendar: PeakCalendar | None) -> None:
        self.plan = plan
        # The schedule goes with the rows: two rows of this plan that tie are compared at the
        # price in force, peak or not.
        self.index = PrefixIndex(plan.rates, None if calendar is None else lambda at: calendar.band(at)[0])
        self.calendar = calendar
        self.step = quantum(plan.decimals)

    def per_minute(self, rate: Rate, at: datetime) -> Decimal:
        """The price per minute of `rate` at the UTC time `at`, without saying why (LCR order)."""
        if rate.rate_peak is None or self.calendar is None:
            return rate.rate
        return rate.rate_peak if self.calendar.band(at)[0] else rate.rate

    def quote(self, rate: Rate, at: datetime) -> Quote:
        """Price `rate` at the UTC time `at`: its peak price in peak time, when it has one.

        Made with `tuple.__new__`, skipping the NamedTuple constructor (a Python function of its
        own): quotes are made several times per call.
        """
        calendar = self.calendar
        if calendar is None:
            return _new(Quote, (self, rate, rate.rate, OFF_PEAK, NO_SCHEDULE))
        in_peak, why = calendar.band(at)
        if not in_peak:
            return _new(Quote, (self, rate, rate.rate, OFF_PEAK, "off-peak: " + why))
        if rate.rate_peak is None:
            return _new(Quote, (self, rate, rate.rate, OFF_PEAK, "peak but rate has no peak price (" + why + ")"))
        return _new(Quote, (self, rate, rate.rate_peak, PEAK, "peak: " + why))
