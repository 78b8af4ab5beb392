"""Trace pieces: the reasons behind a rating, as JSON-ready values (Decimals as text).

Nested dicts in a trace (a plan's reference, a dial rule) are shared between traces: replace
them, never change them in place.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # decks use these helpers themselves
    from .decks import Quote


#: Marks a fact a trace template has not been given yet (None is a fact: "no dial rule").
UNSET: Any = object()

#: What `describe_quote` writes after the plan: the row that matched and its price at the time.
QUOTE_KEYS = ("match", "prefix", "destination", "rate", "connect_fee", "t1", "t2", "band", "band_reason")

#: A rated call's trace, in the order its facts are shown; `caller_keys` follow `number` on a VoIP
#: plan with caller-prefix conditions.
RATED_KEYS = (
    "voip_plan",
    "billsec",
    "dialed",
    "dial_rules_from",
    "dial_rule",
    "number",
    "retail_plan",
    *QUOTE_KEYS,
    "billable_seconds",
    "price_unrounded",
    "price",
    "decimals",
    "currency",
    "cost",
    "status",
)
CALLER_KEYS = ("caller", "caller_dial_rule", "caller_number")
#: The trace of a call's cost, under the rated trace's `cost`.
COST_KEYS = (
    "chosen_by",
    "provider_id",
    "provider",
    "carrier_plan",
    *QUOTE_KEYS,
    "billable_seconds",
    "cost_unrounded",
    "cost",
    "decimals",
    "currency",
)


def template(keys: tuple[str, ...], **known: Any) -> dict[str, Any]:
    """A trace with every key in place, the facts known in advance filled in and the rest
    `UNSET`: one is copied per call, as a copy of a ready dict costs less than growing one key
    by key."""
    facts = dict.fromkeys(keys, UNSET)
    facts.update(known)
    return facts


def known(trace: dict[str, Any]) -> dict[str, Any]:
    """A trace from a template without the facts it never got, when rating stopped early."""
    return {key: value for key, value in trace.items() if value is not UNSET}


def text(amount: Decimal) -> str:
    """A Decimal as plain digits, never in exponent form (`0.0000001`, not `1E-7`).

    `str()` first because it is several times faster and right for nearly every price.
    """
    plain = str(amount)
    return format(amount, "f") if "E" in plain else plain


def plan_ref(plan: Any) -> dict[str, Any]:
    """How a trace names a plan of any kind."""
    return {"id": plan.id, "name": plan.name}


def describe_quote(quote: "Quote", into: dict[str, Any]) -> dict[str, Any]:
    """Add the plan (under `retail_plan` or `carrier_plan`), the row that matched and its price
    per minute at the answer time."""
    deck, rate, per_minute, band, band_reason = quote
    into[deck.plan_key] = deck.ref
    into["match"] = "prefix" if rate.prefix is not None else "exact"
    into["prefix"] = rate.key
    into["destination"] = rate.destination
    # The price in force is the row's own peak or off-peak price, whose text the row has made.
    into["rate"] = rate.rate_peak_text if per_minute is rate.rate_peak else rate.rate_text
    into["connect_fee"] = rate.connect_fee_text
    into["t1"] = rate.t1
    into["t2"] = rate.t2
    into["band"] = band
    into["band_reason"] = band_reason
    return into
