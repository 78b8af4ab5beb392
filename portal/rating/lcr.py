"""Least-cost routing: which carriers can take a call, cheapest first, and what it costs us.

Routes in different currencies are ordered by their bare numbers: the engine has no exchange
rates, and ordering them at all is more useful to a switch than refusing to.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
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
#: position on the VoIP plan, deck, row, its route). A plain tuple because it sorts in exactly the
#: LCR order (the position is unique, so deck, row and route are never compared) and one is made
#: per carrier per call.
Offer = tuple[Decimal, int, str, int, Deck, Rate, Route]

#: The public form of an offer.
route_of = itemgetter(6)


#: What LCR needs of one enabled carrier plan: (its position among the rows found for a number,
#: which follows the VoIP plan's order; deck; provider priority; provider name), looked up once
#: when the engine is built.
Candidate = tuple[int, Deck, int, str]


def candidates(decks: Sequence[Deck], start: int = 0) -> tuple[Candidate, ...]:
    """The carrier plans LCR may use; a disabled provider's are left out here, once.

    Positions count from `start`, where the plans' rows begin in what `offers` is given.
    """
    return tuple(
        (position, deck, deck.plan.provider.priority, deck.plan.provider.name)
        for position, deck in enumerate(decks, start)
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
            routes = rate.routes
            if routes is None or routes[0] is not deck:
                routes = _routes(deck, rate)
            calendar = deck.calendar
            if rate.rate_peak is not None and calendar is not None and calendar.moment(at)[0]:
                route = routes[2]
            else:
                route = routes[1]
            ranked.append((route[6], priority, name, position, deck, rate, route))
    ranked.sort()
    return ranked


def _routes(deck: Deck, rate: Rate) -> tuple[Deck, Route, Route | None]:
    """A carrier row's routes off-peak and in peak (None without a peak price), made the first
    time LCR offers the row and kept on it (see `Rate.routes`).

    A route is the same every time its row is offered in its band, and making one (a
    NamedTuple of eleven fields) is most of what offering a route costs.
    """
    plan = deck.plan
    provider = plan.provider
    head = (provider.id, provider.name, provider.gateways, plan.id, rate.key, rate.destination)
    tail = (rate.connect_fee, rate.t1, rate.t2, plan.currency)
    off_peak = Route._make(head + (rate.rate,) + tail)
    peak = None if rate.rate_peak is None else Route._make(head + (rate.rate_peak,) + tail)
    routes = (deck, off_peak, peak)
    object.__setattr__(rate, "routes", routes)
    return routes


def without_losses(ranked: list[Offer], retail: Quote) -> tuple[list[Offer], list[Offer]]:
    """(kept, dropped) for a no-loss VoIP plan: dropped cost more per minute than we sell at.

    Only a route in the retail currency can be compared; one in another currency is kept,
    because without an exchange rate "dearer" has no meaning and a wrongly dropped route would
    block calls.
    """
    kept, dropped = [], []
    retail_deck, _, ceiling, _, _ = retail
    currency = retail_deck.plan.currency
    for offer in ranked:
        per_minute, _, _, _, deck, _, _ = offer
        loses = per_minute > ceiling and deck.plan.currency == currency
        (dropped if loses else kept).append(offer)
    return kept, dropped


def carrying_quote(
    on_plan: Sequence[tuple[Deck, int]],
    found: Sequence[Rate | None],
    all_decks: Sequence[Deck],
    provider: int | str,
    number: str,
    at: datetime,
) -> Quote | None:
    """The rate of the provider that carried a call (named by id or name), whatever LCR says.

    Its carrier plans on the VoIP plan (`on_plan`: each with the position of its row for the
    number in `found`) are searched first, then its other plans; having been disabled since does
    not change what it charged. Its cheapest row wins.
    """
    quotes = []
    for deck, position in on_plan:  # a loop, not a comprehension: this runs for a fifth of all calls
        if found[position] is not None:
            quotes.append(deck.quote(found[position], at))
    if not quotes:
        quotes = [
            deck.quote(rate, at)
            for deck in all_decks
            if provider in (deck.plan.provider.id, deck.plan.provider.name)
            and (rate := deck.index.find(number, at)) is not None
        ]
    if len(quotes) == 1:  # the usual case: one plan per provider
        return quotes[0]
    return min(quotes, key=itemgetter(2), default=None)
