"""Least-cost routing: which carriers can take a call, cheapest first, and what it costs us.

Routes in different currencies are ordered by their bare numbers: the engine has no exchange
rates, and ordering them at all is more useful to a switch than refusing to.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from .decks import Deck, Quote
from .tariffs import Gateway, Rate


class Route(NamedTuple):
    """One way to send a call: a provider, its gateways and what it charges per minute now.

    A NamedTuple, like the other results, because one is made per carrier per call.
    """

    provider_id: int | str
    provider: str
    gateways: tuple[Gateway, ...]
    carrier_plan_id: int | str
    prefix: str
    destination: str
    cost_per_minute: Decimal
    connect_fee: Decimal
    t1: int
    t2: int
    currency: str


#: A carrier's row for a number at one moment: (per minute, provider priority, provider name,
#: position on the VoIP plan, deck, row). A plain tuple because it sorts in exactly the LCR order
#: (the position is unique, so deck and row are never compared) and one is made per carrier per
#: call; the public `Route` is made from it.
Offer = tuple[Decimal, int, str, int, Deck, Rate]


#: What LCR needs of one enabled carrier plan: (position on the VoIP plan, deck, provider
#: priority, provider name), looked up once when the engine is built.
Candidate = tuple[int, Deck, int, str]


def candidates(decks: Sequence[Deck]) -> tuple[Candidate, ...]:
    """The carrier plans LCR may use; a disabled provider's are left out here, once."""
    return tuple(
        (position, deck, deck.plan.provider.priority, deck.plan.provider.name)
        for position, deck in enumerate(decks)
        if deck.plan.provider.enabled
    )


def offers(routable: Sequence[Candidate], found: Sequence[Rate | None], at: datetime) -> list[Offer]:
    """The candidates' rows for a number (`found`, by position), cheapest first.

    Order: price per minute in force (each plan's own peak schedule), then provider priority,
    then provider name, then the order the plans are listed on the VoIP plan.
    """
    ranked = []
    for position, deck, priority, name in routable:
        rate = found[position]
        if rate is not None:
            per_minute = rate.rate if rate.rate_peak is None else deck.per_minute(rate, at)
            ranked.append((per_minute, priority, name, position, deck, rate))
    ranked.sort()
    return ranked


def without_losses(ranked: list[Offer], retail: Quote) -> tuple[list[Offer], list[Offer]]:
    """(kept, dropped) for a no-loss VoIP plan: dropped cost more per minute than we sell at.

    Only a route in the retail currency can be compared; one in another currency is kept,
    because without an exchange rate "dearer" has no meaning and a wrongly dropped route would
    block calls.
    """
    kept, dropped = [], []
    currency, ceiling = retail.deck.plan.currency, retail.per_minute
    for offer in ranked:
        per_minute, _, _, _, deck, _ = offer
        loses = per_minute > ceiling and deck.plan.currency == currency
        (dropped if loses else kept).append(offer)
    return kept, dropped


def carrying_quote(
    plan_decks: Sequence[Deck],
    found: Sequence[Rate | None],
    all_decks: Sequence[Deck],
    provider: int | str,
    number: str,
    at: datetime,
) -> Quote | None:
    """The rate of the provider that carried a call (named by id or name), whatever LCR says.

    Its carrier plans on the VoIP plan are searched first (their rows for the number are
    `found` already), then its other plans; having been disabled since does not change what it
    charged. Its cheapest row wins.
    """

    def carried_by(deck: Deck) -> bool:
        return provider in (deck.plan.provider.id, deck.plan.provider.name)

    quotes = [
        deck.quote(rate, at)
        for deck, rate in zip(plan_decks, found, strict=True)
        if rate is not None and carried_by(deck)
    ]
    if not quotes:
        quotes = [
            deck.quote(rate, at)
            for deck in all_decks
            if carried_by(deck) and (rate := deck.index.find(number, at)) is not None
        ]
    return min(quotes, key=lambda quote: quote.per_minute, default=None)


def quote_of(offer: Offer, at: datetime) -> Quote:
    """An offer priced again with its band and the reasons, for the trace of a call's cost."""
    _, _, _, _, deck, rate = offer
    return deck.quote(rate, at)


def as_route(offer: Offer) -> Route:
    """The public form of an offer, made with `tuple.__new__`: the NamedTuple constructor is a
    Python function of its own, and a route is made per carrier per call."""
    per_minute, _, _, _, deck, rate = offer
    plan = deck.plan
    provider = plan.provider
    return tuple.__new__(
        Route,
        (
            provider.id,
            provider.name,
            provider.gateways,
            plan.id,
            rate.key,
            rate.destination,
            per_minute,
            rate.connect_fee,
            rate.t1,
            rate.t2,
            plan.currency,
        ),
    )
