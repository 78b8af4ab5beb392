"""The rating engine: built once from plain tariff data, then asked about every call.

Building indexes every deck and checks that the plans fit together; answering then only probes
dicts, so one engine serves authorizations and CDRs until the tariffs change and it is rebuilt.
Every answer follows DESIGN §3 step by step and records each step in its trace.
"""

import gc
import operator
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .decks import Deck, Quote
from .errors import TariffError, UnknownVoipPlan
from .increments import price_call
from .lcr import Offer, candidates, carrying_quote, offers, route_of, without_losses
from .max_duration import DEFAULT_MAX_CALL_SECONDS, first_increment, max_duration
from .money import ZERO, to_decimal
from .normalize import DialRule, choose_rules, normalized
from .peak import PeakCalendar, PeakSchedule
from .prefix_index import SharedPrefixIndex
from .results import (
    BANNED,
    INSUFFICIENT_FUNDS,
    INVALID_NUMBER,
    NO_RATE,
    RATED,
    Authorization,
    CallRating,
    Destination,
    Lookup,
    RateTerms,
)
from .retail import Link, select_retail
from .tariffs import CarrierPlan, Rate, RetailPlan, VoipPlan
from .trace import CALLER_KEYS, RATED_KEYS, describe_quote, known, plan_ref, template, text


class _CompiledPlan:
    """A VoIP plan with its decks resolved and its ban prefixes ready to probe."""

    __slots__ = (
        "bans",
        "carried_by",
        "carriers",
        "currency",
        "default_rules",
        "index",
        "links",
        "needs_caller",
        "plan",
        "rated",
        "ref",
        "routable",
        "single",
    )

    def __init__(
        self,
        plan: VoipPlan,
        retail: dict[Any, Deck],
        carriers: dict[Any, Deck],
        shared: dict[tuple[int, ...], SharedPrefixIndex],
        global_rules: tuple[DialRule, ...],
    ) -> None:
        self.plan = plan
        self.ref = plan_ref(plan)
        #: The dial rules for accounts without their own.
        self.default_rules = choose_rules((), plan.dial_rules, global_rules)
        self.links = tuple(
            Link(_deck(retail, link.retail_plan_id, "retail", plan), link.caller_prefix, link.priority, order)
            for order, link in enumerate(plan.retail_links)
        )
        self.carriers = tuple(_deck(carriers, plan_id, "carrier", plan) for plan_id in plan.carrier_plan_ids)
        # Positions in the shared index's answer, where the carriers come after the retail plans.
        self.routable = candidates(self.carriers, len(self.links))
        currencies = {link.deck.plan.currency for link in self.links}
        if len(currencies) > 1:
            # The customer's account has one currency; two price lists in two currencies could
            # neither be compared for the cheaper rate nor charged to it.
            raise TariffError(f"VoIP plan {plan.id!r} links retail plans in {sorted(currencies)}")
        self.currency = currencies.pop() if currencies else None
        self.needs_caller = any(link.caller_prefix for link in self.links)
        #: The one retail deck that prices every call, on the usual VoIP plan: nothing to choose.
        self.single = self.links[0].deck if len(self.links) == 1 and not self.needs_caller else None
        #: Each provider's carrier plans with their positions in the shared index's answer, by its
        #: id and by its name, so the provider a CDR names finds its rows without a search.
        self.carried_by: dict[Any, tuple[tuple[Deck, int], ...]] = {}
        for position, deck in enumerate(self.carriers, len(self.links)):
            provider = deck.plan.provider
            for key in {provider.id, provider.name}:
                self.carried_by[key] = (*self.carried_by.get(key, ()), (deck, position))
        keys = RATED_KEYS
        if self.needs_caller:
            at = keys.index("number") + 1
            keys = keys[:at] + CALLER_KEYS + keys[at:]
        #: What `RatingEngine.rate` copies to trace a call.
        self.rated = template(keys, voip_plan=self.ref, status=RATED)
        #: Shortest first, as `startswith` takes them: one call tells whether any ban applies.
        self.bans = tuple(sorted(set(plan.ban_prefixes), key=lambda prefix: (len(prefix), prefix)))
        # Retail decks first, then carriers: one walk down the number answers them all. VoIP
        # plans over the same decks share the merged index.
        decks = [link.deck for link in self.links] + list(self.carriers)
        signature = tuple(id(deck) for deck in decks)
        if signature not in shared:
            shared[signature] = SharedPrefixIndex([deck.index for deck in decks])
        self.index = shared[signature]

    def ban_for(self, number: str) -> str | None:
        """The shortest ban prefix that starts `number`, if any."""
        if number.startswith(self.bans):
            return next(prefix for prefix in self.bans if number.startswith(prefix))
        return None


class RatingEngine:
    """Prices calls, authorizes them and finds their routes, per DESIGN §3.

    An unknown VoIP plan id raises `UnknownVoipPlan` (see there why it is not a `no_rate`).
    Answer times are aware datetimes; a naive one is taken as UTC. The caller's number only
    matters to caller-prefix conditions, which are E.164 prefixes like the decks' (`44`), so it
    is normalized with the same dial rules as the callee first: a UK customer's `07700 900123`
    meets `44`. A missing caller, or one that is not a number (a name, a SIP URI), meets none.
    Answers stop at the first step that fails (its reason in `status`/`reason` and the trace),
    and their trace's `status` is `rated`, `allowed`, `found` or that reason.
    """

    def __init__(
        self,
        retail_plans: Iterable[RetailPlan],
        carrier_plans: Iterable[CarrierPlan],
        voip_plans: Iterable[VoipPlan],
        global_dial_rules: Iterable[DialRule] = (),
        max_call_seconds: int = DEFAULT_MAX_CALL_SECONDS,
    ) -> None:
        if not isinstance(max_call_seconds, int) or max_call_seconds < 1:
            raise TariffError(f"max_call_seconds must be a positive number of seconds, not {max_call_seconds!r}")
        with collector_paused():
            self._build(retail_plans, carrier_plans, voip_plans, global_dial_rules)
        self.max_call_seconds = max_call_seconds

    def _build(
        self,
        retail_plans: Iterable[RetailPlan],
        carrier_plans: Iterable[CarrierPlan],
        voip_plans: Iterable[VoipPlan],
        global_dial_rules: Iterable[DialRule],
    ) -> None:
        calendars: dict[PeakSchedule, PeakCalendar] = {}

        def deck(plan: RetailPlan | CarrierPlan) -> Deck:
            calendar = None
            if plan.peak is not None:
                calendar = calendars.setdefault(plan.peak, PeakCalendar(plan.peak))
            return Deck(plan, calendar)

        retail = _by_id((deck(plan) for plan in retail_plans), "retail plan")
        carriers = _by_id((deck(plan) for plan in carrier_plans), "carrier plan")
        self._all_carriers = tuple(carriers.values())
        shared: dict[tuple[int, ...], SharedPrefixIndex] = {}
        global_rules = tuple(global_dial_rules)
        self._plans = {plan.id: _CompiledPlan(plan, retail, carriers, shared, global_rules) for plan in voip_plans}
        #: How many rate rows the engine holds: what decides whether it is worth `freeze_heap`.
        self.rows = sum(len(deck.plan.rates) for deck in (*retail.values(), *carriers.values()))

    def rate(
        self,
        voip_plan_id: int | str,
        caller: str | None,
        callee: str,
        answer_at: datetime,
        billsec: int,
        account_dial_rules: Sequence[DialRule] = (),
        provider: int | str | None = None,
    ) -> CallRating:
        """Price a finished call and cost it at the carrier that took it (by id or name), else
        at the first LCR route."""
        # The usual arguments (a known plan, an int, an aware UTC time) skip the general checks.
        plan = self._plans.get(voip_plan_id)
        if plan is None:
            raise UnknownVoipPlan(voip_plan_id)
        if type(billsec) is not int:
            billsec = operator.index(billsec)
        if billsec < 0:
            raise ValueError(f"billsec cannot be negative: {billsec}")
        at = answer_at if type(answer_at) is datetime and answer_at.tzinfo is UTC else _utc(answer_at)
        trace = plan.rated.copy()
        trace["billsec"] = billsec
        reason, number, quote, found = self._resolve(plan, caller, callee, at, account_dial_rules, trace)
        if quote is None:
            trace = known(trace)
            trace["status"] = reason
            return CallRating(reason, number, None, None, None, None, None, None, None, (), trace)
        deck, rate, per_minute, _, _ = quote
        billable, price, trace["price_unrounded"], trace["price"] = _charge(deck, rate, per_minute, billsec)
        trace["billable_seconds"] = billable
        trace["decimals"] = deck.decimals
        trace["currency"] = deck.currency
        ranked = self._offers(plan, found, at, quote, trace)
        if provider is not None:
            carried = carrying_quote(plan.carried_by.get(provider, ()), found, self._all_carriers, provider, number, at)
            chosen_by = "carrying provider"
        else:
            carried = ranked[0][4].quote(ranked[0][5], at) if ranked else None
            chosen_by = "first LCR route"
        cost = cost_currency = provider_name = None
        if carried is None:
            trace["cost"] = None
            trace["cost_note"] = f"no carrier rate for provider {provider}" if provider is not None else "no LCR route"
        else:
            cost, trace["cost"] = _cost(carried, billsec, chosen_by)
            cost_currency = carried[0].currency
            provider_name = carried[0].plan.provider.name
        # tuple.__new__ skips the NamedTuple constructors, Python functions of their own: this is
        # the hot path of CDR rating, and the fields are in declaration order.
        return tuple.__new__(
            CallRating,
            (
                RATED,
                number,
                rate.answer or _answer(rate),
                billable,
                price,
                deck.currency,
                cost,
                cost_currency,
                provider_name,
                tuple(map(route_of, ranked)),
                trace,
            ),
        )

    def authorize(
        self,
        voip_plan_id: int | str,
        caller: str | None,
        callee: str,
        at: datetime,
        available: Decimal | str | int,
        account_dial_rules: Sequence[DialRule] = (),
    ) -> Authorization:
        """May a call start now, for how long, and how much to hold for it.

        `available` is balance + credit limit − open holds, worked out by the caller. The whole
        call is priced in the band in force at `at`, as it will be when rated.
        """
        plan = self._compiled(voip_plan_id)
        available = to_decimal(available, "available")
        at = _utc(at)
        trace: dict[str, Any] = {"voip_plan": plan.ref, "available": text(available)}
        reason, number, quote, found = self._resolve(plan, caller, callee, at, account_dial_rules, trace)
        if quote is None:
            trace["status"] = reason
            return Authorization(False, reason, number, None, None, 0, ZERO, plan.currency, (), trace)
        deck, rate, per_minute, _, _ = quote
        terms = RateTerms(per_minute, rate.connect_fee, rate.t1, rate.t2)
        destination = Destination(rate.key, rate.destination)
        first = first_increment(rate.t1, rate.t2)
        trace["first_increment_seconds"] = first
        trace["first_increment_price"] = text(_price(quote, first))
        allowance = max_duration(
            per_minute, rate.connect_fee, rate.t1, rate.t2, deck.step, available, self.max_call_seconds
        )
        if allowance is None:
            trace["status"] = INSUFFICIENT_FUNDS
            return Authorization(
                False, INSUFFICIENT_FUNDS, number, destination, terms, 0, ZERO, deck.plan.currency, (), trace
            )
        hold = _price(quote, allowance.seconds)
        ranked = self._offers(plan, found, at, quote, trace)
        trace["max_duration"] = allowance.seconds
        trace["capped"] = allowance.capped
        trace["hold_amount"] = text(hold)
        trace["currency"] = deck.plan.currency
        trace["status"] = "allowed"
        return Authorization(
            allowed=True,
            reason=None,
            number=number,
            destination=destination,
            rate=terms,
            max_duration=allowance.seconds,
            hold_amount=hold,
            currency=deck.plan.currency,
            routes=tuple(map(route_of, ranked)),
            trace=trace,
        )

    def lookup(
        self,
        voip_plan_id: int | str,
        number: str,
        at: datetime,
        caller: str | None = "",
        account_dial_rules: Sequence[DialRule] = (),
    ) -> Lookup:
        """What a number costs at `at` and which routes it would take: a price list query."""
        plan = self._compiled(voip_plan_id)
        at = _utc(at)
        trace: dict[str, Any] = {"voip_plan": plan.ref}
        reason, normalized, quote, found = self._resolve(plan, caller, number, at, account_dial_rules, trace)
        if quote is None:
            trace["status"] = reason
            return Lookup(reason, normalized, None, None, plan.currency, (), trace)
        deck, rate, per_minute, _, _ = quote
        ranked = self._offers(plan, found, at, quote, trace)
        trace["status"] = "found"
        return Lookup(
            reason=None,
            number=normalized,
            destination=Destination(rate.key, rate.destination),
            rate=RateTerms(per_minute, rate.connect_fee, rate.t1, rate.t2),
            currency=deck.plan.currency,
            routes=tuple(map(route_of, ranked)),
            trace=trace,
        )

    def _compiled(self, voip_plan_id: int | str) -> _CompiledPlan:
        try:
            return self._plans[voip_plan_id]
        except KeyError:
            raise UnknownVoipPlan(voip_plan_id) from None

    def _resolve(
        self,
        plan: _CompiledPlan,
        caller: str | None,
        dialed: str,
        at: datetime,
        account_rules: Sequence[DialRule],
        trace: dict[str, Any],
    ) -> tuple[str | None, str | None, Quote | None, Sequence[Rate | None]]:
        """Steps 1–3 and 5 of §3: normalize, ban, retail rate with its band.

        Returns (reason it stopped, normalized number, retail quote, each linked retail plan's
        row for the number followed by each carrier plan's); the quote is None exactly when
        there is a reason.
        """
        if account_rules:
            rules_from, rules = choose_rules(account_rules, (), ())
        else:
            rules_from, rules = plan.default_rules
        number, cleaned, rule = normalized(dialed, rules)
        trace["dialed"] = dialed
        trace["dial_rules_from"] = rules_from
        trace["dial_rule"] = None if rule is None else rule.trace
        trace["number"] = number
        if number is None:
            trace["cleaned"] = cleaned
            return INVALID_NUMBER, None, None, ()
        ban = plan.ban_for(number)
        if ban is not None:
            trace["ban_prefix"] = ban
            return BANNED, number, None, ()
        caller_number = ""
        if plan.needs_caller:
            caller_number, _, caller_rule = normalized(caller or "", rules)
            trace["caller"] = caller
            trace["caller_dial_rule"] = caller_rule.trace if caller_rule else None
            trace["caller_number"] = caller_number
            caller_number = caller_number or ""
        found = plan.index.find_all(number, at)
        if plan.single is not None:
            row = found[0]
            quote = None if row is None else plan.single.quote(row, at)
        else:
            quote = select_retail(plan.links, found, caller_number, at)
        if quote is None:
            return NO_RATE, number, None, ()
        describe_quote(quote, trace)
        return None, number, quote, found

    def _offers(
        self, plan: _CompiledPlan, found: Sequence[Rate | None], at: datetime, retail: Quote, trace: dict[str, Any]
    ) -> list[Offer]:
        ranked = offers(plan.routable, found, at)
        if plan.plan.no_loss:
            ranked, dropped = without_losses(ranked, retail)
            if dropped:
                trace["routes_dropped_no_loss"] = [provider for _, _, provider, *_ in dropped]
        return ranked


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building an engine makes a few objects per rate row, and they all live on. The cyclic
    collector, started by allocation counts, would walk the growing pile again and again (a
    third of a 100,000-row load); it runs again once the engine is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_heap() -> None:
    """Take everything alive now out of the cyclic collector's full passes, until the next call.

    An engine lives until the tariffs change, and all of its objects stay alive; yet every full
    pass of the collector walks them all (half a second for 400,000 rows), and the routes that
    rows keep as calls reach them make such passes frequent: a fifth of rating time on large decks.
    Frozen, they are skipped. What an earlier call froze is thawed and collected with the rest
    first, so the engine a new one replaced is freed, not kept: this costs one full pass, once
    per engine built.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _answer(rate: Rate) -> Destination:
    """Where a call on `rate` went, as a result says it, made once per row (see `Rate.answer`)."""
    destination = Destination(rate.key, rate.destination)
    object.__setattr__(rate, "answer", destination)
    return destination


def _cost(carried: Quote, billsec: int, chosen_by: str) -> tuple[Decimal, dict[str, Any]]:
    """What the carrier charges for the call, with the trace of how."""
    deck, rate, per_minute, _, _ = carried
    trace = deck.cost_trace.copy()
    trace["chosen_by"] = chosen_by
    describe_quote(carried, trace)
    billable, cost, trace["cost_unrounded"], trace["cost"] = _charge(deck, rate, per_minute, billsec)
    trace["billable_seconds"] = billable
    return cost, trace


def _charge(deck: Deck, rate: Rate, per_minute: Decimal, billsec: int) -> tuple[int, Decimal, str, str]:
    """(billable seconds, amount, unrounded amount as text, amount as text) of a call on a row.

    An unanswered call is free whatever the row (§3.6), so its answer is the deck's rounded zero,
    without any arithmetic: a third of all calls are unanswered.
    """
    if not billsec:
        return 0, deck.zero, _ZERO_TEXT, deck.zero_text
    billable, unrounded, amount = price_call(per_minute, rate.connect_fee, rate.t1, rate.t2, billsec, deck.step)
    return billable, amount, text(unrounded), text(amount)


_ZERO_TEXT = text(ZERO)


def _price(quote: Quote, seconds: int) -> Decimal:
    deck, rate, per_minute, _, _ = quote
    return price_call(per_minute, rate.connect_fee, rate.t1, rate.t2, seconds, deck.step)[2]


def _by_id(decks: Iterable[Deck], what: str) -> dict[Any, Deck]:
    by_id: dict[Any, Deck] = {}
    for deck in decks:
        if deck.plan.id in by_id:
            raise TariffError(f"two {what}s have id {deck.plan.id!r}")
        by_id[deck.plan.id] = deck
    return by_id


def _deck(decks: dict[Any, Deck], plan_id: Any, what: str, voip_plan: VoipPlan) -> Deck:
    try:
        return decks[plan_id]
    except KeyError:
        raise TariffError(f"VoIP plan {voip_plan.id!r} links unknown {what} plan {plan_id!r}") from None


def _utc(at: datetime) -> datetime:
    """The same instant in UTC (a naive time is UTC already), so comparisons never consult a zone."""
    if not isinstance(at, datetime):
        raise TypeError(f"a time must be a datetime, not {type(at).__name__}")
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at if at.tzinfo is UTC else at.astimezone(UTC)
