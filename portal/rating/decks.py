"""A plan made ready to answer: its rows indexed, its peak calendar loaded, its rounding step."""

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from .money import ZERO, quantum, round_half_up
from .peak import PeakCalendar
from .prefix_index import PrefixIndex
from .tariffs import CarrierPlan, Rate, RetailPlan
from .trace import COST_KEYS, plan_ref, template, text

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
    """One retail or carrier plan, compiled once per engine, with what every call on it reads
    (its currency, its name in a trace, the price of an unanswered call) at hand."""

    __slots__ = (
        "calendar",
        "cost_trace",
        "currency",
        "decimals",
        "index",
        "plan",
        "plan_key",
        "ref",
        "step",
        "zero",
        "zero_text",
    )

    def __init__(self, plan: RetailPlan | CarrierPlan, calendar: PeakCalendar | None) -> None:
        self.plan = plan
        # The schedule goes with the rows: two rows of this plan that tie are compared at the
        # price in force, peak or not.
        self.index = PrefixIndex(plan.rates, None if calendar is None else lambda at: calendar.moment(at)[0])
        self.calendar = calendar
        self.step = quantum(plan.decimals)
        self.currency = plan.currency
        self.decimals = plan.decimals
        #: What the trace calls this plan, under which key: one dict shared by every trace, so
        #: nothing may change a trace's nested dicts in place (replace them instead).
        self.plan_key = "carrier_plan" if isinstance(plan, CarrierPlan) else "retail_plan"
        self.ref = plan_ref(plan)
        #: The price of an unanswered call, rounded as any price is, and its trace text.
        self.zero = round_half_up(ZERO, self.step)
        self.zero_text = text(self.zero)
        #: What a carrier plan's cost trace starts from (see `trace.template`).
        self.cost_trace = None
        if isinstance(plan, CarrierPlan):
            provider = plan.provider
            self.cost_trace = template(
                COST_KEYS,
                provider_id=provider.id,
                provider=provider.name,
                carrier_plan=self.ref,
                decimals=plan.decimals,
                currency=plan.currency,
            )

    def per_minute(self, rate: Rate, at: datetime) -> Decimal:
        """The price per minute of `rate` at the UTC time `at`, without saying why (LCR order)."""
        if rate.rate_peak is None or self.calendar is None:
            return rate.rate
        return rate.rate_peak if self.calendar.moment(at)[0] else rate.rate

    def quote(self, rate: Rate, at: datetime) -> Quote:
        """Price `rate` at the UTC time `at`: its peak price in peak time, when it has one.

        Made with `tuple.__new__`, skipping the NamedTuple constructor (a Python function of its
        own): quotes are made several times per call.
        """
        calendar = self.calendar
        if calendar is None:
            return _new(Quote, (self, rate, rate.rate, OFF_PEAK, NO_SCHEDULE))
        in_peak, _, peak_reason, other_reason = calendar.moment(at)
        if in_peak and rate.rate_peak is not None:
            return _new(Quote, (self, rate, rate.rate_peak, PEAK, peak_reason))
        return _new(Quote, (self, rate, rate.rate, OFF_PEAK, other_reason))
