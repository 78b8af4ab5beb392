"""Trace pieces: the reasons behind a rating, as JSON-ready values (Decimals as text)."""

from decimal import Decimal
from typing import Any

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


def describe_quote(quote: Quote, plan_key: str, into: dict[str, Any]) -> dict[str, Any]:
    """Add the plan, the row that matched and its price per minute at the answer time."""
    rate = quote.rate
    into[plan_key] = plan_ref(quote.deck.plan)
    into["match"] = "prefix" if rate.prefix is not None else "exact"
    into["prefix"] = rate.key
    into["destination"] = rate.destination
    into["rate"] = text(quote.per_minute)
    into["connect_fee"] = text(rate.connect_fee)
    into["t1"] = rate.t1
    into["t2"] = rate.t2
    into["band"] = quote.band
    into["band_reason"] = quote.band_reason
    return into
