"""Which retail rate prices a call, among the retail plans linked to a VoIP plan."""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from .decks import Deck, Quote
from .tariffs import Rate


class Link(NamedTuple):
    """A linked retail plan; `order` is its position on the VoIP plan, the last tie-break."""

    deck: Deck
    caller_prefix: str
    priority: int
    order: int


def select_retail(links: Sequence[Link], found: Sequence[Rate | None], caller: str, at: datetime) -> Quote | None:
    """The winning rate, given each linked plan's best row for the number (`found`, in link
    order; rows of other plans may follow, and are not looked at).

    Only plans whose caller-prefix condition starts `caller` (normalized by the engine) take part.
    An exact-number row beats any prefix, else the longest prefix wins; ties go to the lower link
    priority, then the lower price in force (never the dearer one), then the lower connect fee,
    then the plan linked first.
    """
    if len(links) == 1:  # the usual VoIP plan: nothing to break ties with
        link, rate = links[0], found[0]
        return link.deck.quote(rate, at) if rate is not None and caller.startswith(link.caller_prefix) else None
    eligible = [
        (link, rate)
        for link, rate in zip(links, found[: len(links)], strict=True)
        if rate is not None and caller.startswith(link.caller_prefix)
    ]
    if not eligible:
        return None
    exact = [(link, rate) for link, rate in eligible if rate.number is not None]
    if exact:
        eligible = exact
    else:
        longest = max(len(rate.prefix) for _, rate in eligible)
        eligible = [(link, rate) for link, rate in eligible if len(rate.prefix) == longest]
    quotes = [(link, link.deck.quote(rate, at)) for link, rate in eligible]
    return min(
        quotes, key=lambda pair: (pair[0].priority, pair[1][2], pair[1][1].connect_fee, pair[0].order)
    )[1]
