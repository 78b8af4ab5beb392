"""Database rows → the rating engine's plain values, in one pass over each table.

Rates are read as plain column tuples (no ORM objects), so a deck of 100,000 rows loads in well
under the three seconds the design allows.

A row the engine refuses does not stop the others: the plan it belongs to is left out, with every
VoIP plan that uses that plan (rating them without it could price or cost calls wrongly; left out,
their calls are `no_rate`, stored and re-ratable), and each is named in `Loaded.problems`. The
admin forms and the API check rows with the same converters before storing them, so this is the
last line of defence, not the usual path.
"""
import re
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from portal import rating
from portal.extensions import db
from portal.models import (
    BanPrefix,
    CarrierPlan,
    CarrierRate,
    DialRule,
    Gateway,
    NumberListEntry,
    PeakHoliday,
    PeakSchedule,
    Provider,
    RetailPlan,
    RetailRate,
    VoipPlan,
    VoipPlanRetailPlan,
)
from portal.models.tariffs import voip_plan_ban_plans, voip_plan_carrier_plans
from portal.rating.engine import collector_paused

RATE_FIELDS = ("prefix", "number", "destination", "rate", "rate_peak", "connect_fee", "t1", "t2",
               "effective_from", "effective_to")
_WEEKDAYS = re.compile("[0-6](,[0-6])*")


@dataclass(frozen=True)
class Loaded:
    """An engine and what had to be left out of it: one line per bad row and per plan it took along."""

    engine: rating.RatingEngine
    problems: tuple[str, ...]


class _Problems:
    """Rows the engine refused while loading, and the plans (kind, id) they made unusable."""

    def __init__(self):
        self.lines = []
        self.bad = set()

    def refuse(self, where, error, *plans):
        self.lines.append(f"{where}: {error}")
        self.bad.update(plans)


def schedule_of(schedule, extra_days):
    """The engine's PeakSchedule for a peak_schedules row and its extra holidays (TariffError if bad).

    Weekdays are stored as "0,1,2"; anything else is handed on as it is, for the engine to refuse
    along with whatever else is wrong with the row.
    """
    weekdays = schedule.weekdays
    if _WEEKDAYS.fullmatch(weekdays or ""):
        weekdays = frozenset(map(int, weekdays.split(",")))
    return rating.PeakSchedule(timezone=schedule.timezone, weekdays=weekdays, start=schedule.start_time,
                               end=schedule.end_time, holiday_country=schedule.holiday_country or None,
                               extra_holidays=frozenset(extra_days))


def rate_of(row):
    """The engine's Rate for a retail or carrier rate row (TariffError if bad)."""
    return rating.Rate(**{name: getattr(row, name) for name in RATE_FIELDS})


def link_of(link):
    """The engine's RetailLink for a VoIP plan's retail link (TariffError if bad)."""
    return rating.RetailLink(link.retail_plan_id, link.caller_prefix, link.priority)


def _schedules(problems):
    extra = defaultdict(set)
    for schedule_id, day in db.session.execute(select(PeakHoliday.schedule_id, PeakHoliday.day)):
        extra[schedule_id].add(day)
    schedules = {}
    for s in db.session.scalars(select(PeakSchedule)):
        try:
            schedules[s.id] = schedule_of(s, extra[s.id])
        except rating.TariffError as error:
            problems.refuse(f"peak schedule {s.id} {s.name!r}", error, ("schedule", s.id))
    return schedules


def _rates(model, kind, problems):
    by_plan = defaultdict(list)
    columns = [model.id, model.plan_id, *(getattr(model, name) for name in RATE_FIELDS)]
    # On the connection, not through the ORM session: plain rows, without the ORM's per-row work.
    for rate_id, plan_id, prefix, number, destination, rate, peak, fee, t1, t2, start, end in db.session.connection(
            ).execute(select(*columns)):
        try:
            by_plan[plan_id].append(rating.Rate(prefix=prefix, number=number, destination=destination, rate=rate,
                                                rate_peak=peak, connect_fee=fee, t1=t1, t2=t2, effective_from=start,
                                                effective_to=end))
        except rating.TariffError as error:
            problems.refuse(f"{kind} rate {rate_id} (plan {plan_id}, {prefix or number!r})", error, (kind, plan_id))
    return by_plan


def _plans(model, rate_model, kind, schedules, problems, build):
    """{id: retail or carrier plan} with their decks; one with a bad row or schedule is left out."""
    rates = _rates(rate_model, kind, problems)
    plans = {}
    for p in db.session.scalars(select(model)):
        where = f"{kind} plan {p.id} {p.name!r}"
        if p.peak_schedule_id is not None and p.peak_schedule_id not in schedules:
            problems.refuse(where, f"left out: its peak schedule {p.peak_schedule_id} is refused", (kind, p.id))
        elif (kind, p.id) in problems.bad:
            problems.lines.append(f"{where}: left out: some of its rates are refused")
        else:
            try:
                plans[p.id] = build(p, schedules.get(p.peak_schedule_id), tuple(rates[p.id]))
            except rating.TariffError as error:
                problems.refuse(where, error, (kind, p.id))
    return plans


def _providers():
    gateways = defaultdict(list)
    for g in db.session.scalars(select(Gateway).where(Gateway.enabled.is_(True)).order_by(Gateway.id)):
        gateways[g.provider_id].append(rating.Gateway(name=g.name, host=g.host, port=g.port, prefix=g.prefix))
    return {p.id: rating.Provider(id=p.id, name=p.name, priority=p.priority, enabled=p.enabled,
                                  gateways=tuple(gateways[p.id]))
            for p in db.session.scalars(select(Provider))}


def _dial_rules():
    """(global rules, {voip plan id: rules}); account rules travel with each call."""
    global_rules, by_plan = [], defaultdict(list)
    for rule in db.session.scalars(select(DialRule).where(DialRule.account_id.is_(None))
                                   .order_by(DialRule.position, DialRule.id)):
        target = global_rules if rule.voip_plan_id is None else by_plan[rule.voip_plan_id]
        target.append(rating.DialRule(rule.match, rule.replace))
    return tuple(global_rules), by_plan


def _retail_links(retail, problems):
    """{voip plan id: [RetailLink]} in (priority, id) order: the engine's last tie-break is link order.

    A link in another currency than its VoIP plan (the admin forms refuse it) is left out rather
    than failing the VoIP plan; a link the engine refuses, or to a plan left out, fails it.
    """
    links = defaultdict(list)
    plan_currency = dict(db.session.execute(select(VoipPlan.id, VoipPlan.currency)).all())
    retail_currency = dict(db.session.execute(select(RetailPlan.id, RetailPlan.currency)).all())
    for link in db.session.scalars(select(VoipPlanRetailPlan)
                                   .order_by(VoipPlanRetailPlan.priority, VoipPlanRetailPlan.id)):
        if retail_currency[link.retail_plan_id] != plan_currency[link.voip_plan_id]:
            continue
        where = f"VoIP plan {link.voip_plan_id} retail link {link.id}"
        try:
            links[link.voip_plan_id].append(link_of(link))
        except rating.TariffError as error:
            problems.refuse(where, error, ("voip", link.voip_plan_id))
            continue
        if link.retail_plan_id not in retail:
            problems.refuse(where, f"retail plan {link.retail_plan_id} is left out", ("voip", link.voip_plan_id))
    return links


def _voip_plans(retail, carriers, plan_rules, problems):
    links = _retail_links(retail, problems)
    carrier_links, bans = defaultdict(list), defaultdict(list)
    for voip_plan_id, carrier_plan_id in db.session.execute(select(voip_plan_carrier_plans)):
        carrier_links[voip_plan_id].append(carrier_plan_id)
        if carrier_plan_id not in carriers:
            problems.refuse(f"VoIP plan {voip_plan_id}", f"carrier plan {carrier_plan_id} is left out",
                            ("voip", voip_plan_id))
    for voip_plan_id, prefix in db.session.execute(
            select(voip_plan_ban_plans.c.voip_plan_id, BanPrefix.prefix)
            .join(BanPrefix, BanPrefix.ban_plan_id == voip_plan_ban_plans.c.ban_plan_id)):
        bans[voip_plan_id].append(prefix)
    voip_plans = []
    for p in db.session.scalars(select(VoipPlan)):
        if ("voip", p.id) in problems.bad:
            problems.lines.append(f"VoIP plan {p.id} {p.name!r}: left out; its calls are no_rate until fixed")
            continue
        try:
            voip_plans.append(rating.VoipPlan(id=p.id, name=p.name, retail_links=tuple(links[p.id]),
                                              carrier_plan_ids=tuple(sorted(carrier_links[p.id])),
                                              ban_prefixes=tuple(sorted(set(bans[p.id]))), no_loss=p.no_loss,
                                              dial_rules=tuple(plan_rules[p.id])))
        except rating.TariffError as error:
            problems.refuse(f"VoIP plan {p.id} {p.name!r}", f"{error}; left out, its calls are no_rate until fixed")
    return voip_plans


def load_engine():
    """Build a RatingEngine from everything the database holds now, leaving out what it refuses."""
    with collector_paused():  # the rate rows as well as the engine
        return _load_engine()


def _load_engine():
    problems = _Problems()
    schedules = _schedules(problems)
    providers = _providers()
    retail = _plans(RetailPlan, RetailRate, "retail", schedules, problems, lambda p, peak, rates: rating.RetailPlan(
        id=p.id, name=p.name, currency=p.currency, decimals=p.decimals, peak=peak, rates=rates))
    carriers = _plans(CarrierPlan, CarrierRate, "carrier", schedules, problems, lambda p, peak, rates:
                      rating.CarrierPlan(id=p.id, name=p.name, currency=p.currency, provider=providers[p.provider_id],
                                         decimals=p.decimals, peak=peak, rates=rates))
    global_rules, plan_rules = _dial_rules()
    voip_plans = _voip_plans(retail, carriers, plan_rules, problems)
    engine = rating.RatingEngine(retail.values(), carriers.values(), voip_plans, global_rules,
                                 max_call_seconds=current_app.config["MAX_CALL_SECONDS"])
    return Loaded(engine, tuple(problems.lines))


def account_dial_rules(account):
    """An account's rules in (position, id) order, so two at one position always apply the same way."""
    rules = sorted(account.dial_rules, key=lambda rule: (rule.position, rule.id))
    return tuple(rating.DialRule(rule.match, rule.replace) for rule in rules)


def load_number_lists():
    return tuple(db.session.execute(select(NumberListEntry.kind, NumberListEntry.prefix,
                                           NumberListEntry.account_id)).all())
