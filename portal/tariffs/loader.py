"""Database rows → the rating engine's plain values, in one pass over each table.

Rates are read as plain column tuples (no ORM objects), so a deck of 100,000 rows loads in well
under the three seconds the design allows.
"""
from collections import defaultdict

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

RATE_COLUMNS = ("plan_id", "prefix", "number", "destination", "rate", "rate_peak", "connect_fee", "t1", "t2",
                "effective_from", "effective_to")


def _schedules():
    extra = defaultdict(set)
    for schedule_id, day in db.session.execute(select(PeakHoliday.schedule_id, PeakHoliday.day)):
        extra[schedule_id].add(day)
    return {
        s.id: rating.PeakSchedule(timezone=s.timezone, weekdays=frozenset(s.weekday_list), start=s.start_time,
                                  end=s.end_time, holiday_country=s.holiday_country or None,
                                  extra_holidays=frozenset(extra[s.id]))
        for s in db.session.scalars(select(PeakSchedule))
    }


def _rates(model):
    by_plan = defaultdict(list)
    columns = [getattr(model, name) for name in RATE_COLUMNS]
    for plan_id, prefix, number, destination, rate, peak, fee, t1, t2, start, end in db.session.execute(
            select(*columns)):
        by_plan[plan_id].append(rating.Rate(prefix=prefix, number=number, destination=destination, rate=rate,
                                            rate_peak=peak, connect_fee=fee, t1=t1, t2=t2, effective_from=start,
                                            effective_to=end))
    return by_plan


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


def load_engine():
    """Build a RatingEngine from everything the database holds now."""
    schedules = _schedules()
    retail_rates, carrier_rates = _rates(RetailRate), _rates(CarrierRate)
    providers = _providers()
    retail = [rating.RetailPlan(id=p.id, name=p.name, currency=p.currency, decimals=p.decimals,
                                peak=schedules.get(p.peak_schedule_id), rates=tuple(retail_rates[p.id]))
              for p in db.session.scalars(select(RetailPlan))]
    carriers = [rating.CarrierPlan(id=p.id, name=p.name, currency=p.currency, provider=providers[p.provider_id],
                                   decimals=p.decimals, peak=schedules.get(p.peak_schedule_id),
                                   rates=tuple(carrier_rates[p.id]))
                for p in db.session.scalars(select(CarrierPlan))]
    links, carrier_links, bans = defaultdict(list), defaultdict(list), defaultdict(list)
    plan_currency = dict(db.session.execute(select(VoipPlan.id, VoipPlan.currency)).all())
    retail_currency = {plan.id: plan.currency for plan in retail}
    for link in db.session.scalars(select(VoipPlanRetailPlan)):
        # A link in another currency (the admin forms refuse it) is left out rather than failing
        # the whole engine, which would stop rating for every customer.
        if retail_currency.get(link.retail_plan_id) == plan_currency.get(link.voip_plan_id):
            links[link.voip_plan_id].append(rating.RetailLink(link.retail_plan_id, link.caller_prefix,
                                                              link.priority))
    for voip_plan_id, carrier_plan_id in db.session.execute(select(voip_plan_carrier_plans)):
        carrier_links[voip_plan_id].append(carrier_plan_id)
    for voip_plan_id, prefix in db.session.execute(
            select(voip_plan_ban_plans.c.voip_plan_id, BanPrefix.prefix)
            .join(BanPrefix, BanPrefix.ban_plan_id == voip_plan_ban_plans.c.ban_plan_id)):
        bans[voip_plan_id].append(prefix)
    global_rules, plan_rules = _dial_rules()
    voip_plans = [rating.VoipPlan(id=p.id, name=p.name, retail_links=tuple(links[p.id]),
                                  carrier_plan_ids=tuple(sorted(carrier_links[p.id])),
                                  ban_prefixes=tuple(sorted(set(bans[p.id]))), no_loss=p.no_loss,
                                  dial_rules=tuple(plan_rules[p.id]))
                  for p in db.session.scalars(select(VoipPlan))]
    return rating.RatingEngine(retail, carriers, voip_plans, global_rules,
                               max_call_seconds=current_app.config["MAX_CALL_SECONDS"])


def account_dial_rules(account):
    return tuple(rating.DialRule(rule.match, rule.replace) for rule in account.dial_rules)


def load_number_lists():
    return tuple(db.session.execute(select(NumberListEntry.kind, NumberListEntry.prefix,
                                           NumberListEntry.account_id)).all())
