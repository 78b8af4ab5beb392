"""Trace pieces: the reasons behind a rating, as JSON-ready values (Decimals as text).

Nested dicts in a trace (a plan's reference, a dial rule) are shared between traces: replace
them, never change them in place.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # decks use these helpers themselves
    from .decks import Quote


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
    into["rate"] = text(per_minute)
    into["connect_fee"] = text(rate.connect_fee)
    into["t1"] = rate.t1
    into["t2"] = rate.t2
    into["band"] = band
    into["band_reason"] = band_reason
    return into
