"""A plan made ready to answer: its rows indexed, its peak calendar loaded, its rounding step."""

from datetime import datetime
from decimal import Decimal

from .money import ZERO, quantum, round_half_up
from .peak import PeakCalendar
from .prefix_index import PrefixIndex
from .tariffs import CarrierPlan, Rate, RetailPlan
from .trace import COST_KEYS, plan_ref, template, text

PEAK = "peak"
OFF_PEAK = "off-peak"
NO_SCHEDULE = "no peak schedule"

#: A row of a deck together with the price per minute it has at one moment, and why: (deck, row,
#: price per minute, band, band reason). A plain tuple, unpacked where it is read: two are made
#: for every call, and a NamedTuple costs several times as much to make.
Quote = tuple["Deck", Rate, Decimal, str, str]


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

    def quote(self, rate: Rate, at: datetime) -> Quote:
        """Price `rate` at the UTC time `at`: its peak price in peak time, when it has one."""
        calendar = self.calendar
        if calendar is None:
            return self, rate, rate.rate, OFF_PEAK, NO_SCHEDULE
        in_peak, _, peak_reason, other_reason = calendar.moment(at)
        if in_peak and rate.rate_peak is not None:
            return self, rate, rate.rate_peak, PEAK, peak_reason
        return self, rate, rate.rate, OFF_PEAK, other_reason
