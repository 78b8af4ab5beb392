"""Creating providers, plans, ban plans and VoIP plans from plain data (the API's bodies)."""
from sqlalchemy import select

from portal.errors import RuleError
from portal.extensions import db
from portal.ledger.errors import CurrencyMismatch
from portal.models import (
    BanPlan,
    BanPrefix,
    CarrierPlan,
    Currency,
    Gateway,
    PeakHoliday,
    PeakSchedule,
    Provider,
    RetailPlan,
    VoipPlan,
    VoipPlanRetailPlan,
)


def _unique(model, name):
    if db.session.scalar(select(model.id).where(model.name == name)):
        raise RuleError("name_taken", f"A {model.__tablename__[:-1].replace('_', ' ')} named {name} exists.",
                               status=409, name="taken")


def _currency(code):
    if db.session.get(Currency, code) is None:
        raise RuleError("unknown_currency", f"Unknown currency {code}.", currency="unknown")


def create_provider(name, priority, gateways):
    _unique(Provider, name)
    provider = Provider(name=name, priority=priority,
                        gateways=[Gateway(name=g["name"], host=g["host"], port=g.get("port") or 5060,
                                          prefix=g.get("prefix") or "") for g in gateways])
    db.session.add(provider)
    db.session.flush()
    return provider


def create_retail_plan(name, currency, decimals, peak):
    """`peak` is the rating engine's PeakSchedule, or None."""
    _unique(RetailPlan, name)
    _currency(currency)
    plan = RetailPlan(name=name, currency=currency, decimals=decimals,
                      peak_schedule=_peak_schedule(name, peak) if peak else None)
    db.session.add(plan)
    db.session.flush()
    return plan


def _peak_schedule(name, peak):
    """The row for `peak`, the rating engine's PeakSchedule: stored as the engine accepted it, named
    after its plan within the 120 characters its column holds."""
    return PeakSchedule(name=f"{name[:115]} peak", timezone=peak.timezone,
                        weekdays=",".join(map(str, sorted(peak.weekdays))),
                        start_time=peak.start, end_time=peak.end, holiday_country=peak.holiday_country or "",
                        extra_holidays=[PeakHoliday(day=day) for day in sorted(peak.extra_holidays)])


def create_carrier_plan(name, currency, provider_id):
    _unique(CarrierPlan, name)
    _currency(currency)
    if db.session.get(Provider, provider_id) is None:
        raise RuleError("unknown_provider", f"There is no provider {provider_id}.", provider_id="unknown")
    plan = CarrierPlan(name=name, currency=currency, provider_id=provider_id)
    db.session.add(plan)
    db.session.flush()
    return plan


def create_ban_plan(name, prefixes):
    _unique(BanPlan, name)
    plan = BanPlan(name=name, prefixes=[BanPrefix(prefix=p) for p in sorted(set(prefixes))])
    db.session.add(plan)
    db.session.flush()
    return plan


def _all_exist(model, ids, field):
    found = {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RuleError(f"unknown_{field[:-1]}", f"Unknown {field.replace('_', ' ')}: {missing}.",
                               **{field: f"unknown ids {missing}"})
    return [found[i] for i in ids]


def create_voip_plan(name, retail_links, carrier_plan_ids, ban_plan_ids, no_loss):
    """`retail_links` are the rating engine's RetailLinks. All retail plans of a VoIP plan share
    one currency: the plan's, and its customers'."""
    _unique(VoipPlan, name)
    retail = _all_exist(RetailPlan, [link.retail_plan_id for link in retail_links], "retail_plans")
    currencies = {plan.currency for plan in retail}
    if len(currencies) != 1:
        raise CurrencyMismatch(f"The retail plans are in several currencies: {sorted(currencies)}.",
                               retail_plans="one currency")
    plan = VoipPlan(name=name, currency=currencies.pop(), no_loss=no_loss,
                    carrier_plans=_all_exist(CarrierPlan, list(dict.fromkeys(carrier_plan_ids)), "carrier_plans"),
                    ban_plans=_all_exist(BanPlan, list(dict.fromkeys(ban_plan_ids)), "ban_plans"),
                    retail_links=[VoipPlanRetailPlan(retail_plan=r, caller_prefix=link.caller_prefix,
                                                     priority=link.priority)
                                  for r, link in zip(retail, retail_links, strict=True)])
    db.session.add(plan)
    db.session.flush()
    return plan
