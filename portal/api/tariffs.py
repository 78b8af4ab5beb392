"""Tariff endpoints: providers, retail and carrier plans, rate decks, ban plans, VoIP plans."""
from flask import Response, request

from portal import rating
from portal.api import bp
from portal.api.auth import require_api
from portal.api.errors import ApiError
from portal.api.parsing import Fields, json_body
from portal.extensions import db
from portal.inputs import whole_number
from portal.models import CarrierPlan, CarrierRate, RetailPlan, RetailRate
from portal.tariffs import decks, plans


def _objects(fields, name, required=False):
    value = fields.body.get(name)
    if value is None:
        if required:
            fields.errors[name] = "required"
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        fields.errors[name] = "a list of objects"
        return []
    return value


def _ids(fields, name):
    value = fields.body.get(name, [])
    ids = [whole_number(i) for i in value] if isinstance(value, list) else None
    if ids is None or not all(i is not None and 0 < i < 2 ** 31 for i in ids):
        fields.errors[name] = "a list of integer ids"
        return []
    return ids


def _gateways(fields):
    """The gateways as read (names and host trimmed, ports as ints), each bad field named by index."""
    gateways = []
    given = _objects(fields, "gateways", required=True)
    for n, gateway in enumerate(given):
        sub = Fields(gateway)
        gateways.append({"name": sub.text("name", required=True, max_length=120),
                         "host": sub.text("host", required=True, max_length=255),
                         "port": sub.integer("port", minimum=1, maximum=65535),
                         "prefix": sub.text("prefix", max_length=20)})
        for key, problem in sub.errors.items():
            fields.errors[f"gateways[{n}].{key}"] = problem
    if not given and "gateways" not in fields.errors:
        fields.errors["gateways"] = "at least one gateway"
    return gateways


def provider_json(provider):
    return {"id": provider.id, "name": provider.name, "priority": provider.priority, "enabled": provider.enabled,
            "gateways": [{"id": g.id, "name": g.name, "host": g.host, "port": g.port, "prefix": g.prefix}
                         for g in provider.gateways]}


@bp.post("/providers")
@require_api("admin")
def create_provider_endpoint():
    fields = Fields(json_body())
    name = fields.text("name", required=True, max_length=120)
    priority = fields.integer("priority", default=0, minimum=-1000, maximum=1000)
    gateways = _gateways(fields)
    fields.check()
    names = [gateway["name"] for gateway in gateways]
    if len(set(names)) < len(names):
        raise ApiError(422, "duplicate_gateway", "Two gateways of one provider share a name.",
                       {"gateways": "one name each"})
    provider = plans.create_provider(name, priority, gateways)
    db.session.commit()
    return provider_json(provider), 201


#: API names of a peak schedule's values, by the engine's names for them.
PEAK_FIELDS = {"timezone": "timezone", "weekdays": "weekdays", "start": "start", "end": "end",
               "holiday_country": "holidays", "extra_holidays": "extra_holidays"}


def _peak(fields):
    """The engine's PeakSchedule for `peak`: what the API stores is what rating has accepted."""
    peak = fields.body.get("peak")
    if peak is None:
        return None
    if not isinstance(peak, dict):
        fields.errors["peak"] = "an object {timezone, weekdays, start, end, holidays?, extra_holidays?}"
        return None
    weekdays = peak.get("weekdays")
    if isinstance(weekdays, list):  # 1.0 is the integer 1 in JSON
        weekdays = [whole_number(day) if whole_number(day) is not None else day for day in weekdays]
    try:
        return rating.PeakSchedule(timezone=peak.get("timezone"), weekdays=weekdays,
                                   start=peak.get("start"), end=peak.get("end"),
                                   holiday_country=peak.get("holidays"),
                                   extra_holidays=peak.get("extra_holidays") or ())
    except rating.TariffError as error:
        for name, problem in error.fields.items():
            fields.errors[f"peak.{PEAK_FIELDS[name]}"] = problem
    return None


def plan_json(plan):
    body = {"id": plan.id, "name": plan.name, "currency": plan.currency, "decimals": plan.decimals}
    if isinstance(plan, CarrierPlan):
        body["provider_id"] = plan.provider_id
    schedule = plan.peak_schedule
    body["peak"] = None if schedule is None else {
        "timezone": schedule.timezone, "weekdays": schedule.weekday_list,
        "start": schedule.start_time.strftime("%H:%M"), "end": schedule.end_time.strftime("%H:%M"),
        "holidays": schedule.holiday_country or None,
        "extra_holidays": [h.day.isoformat() for h in schedule.extra_holidays]}
    return body


@bp.post("/retail-plans")
@require_api("admin")
def create_retail_plan_endpoint():
    fields = Fields(json_body())
    name = fields.text("name", required=True, max_length=120)
    currency = fields.text("currency", required=True, max_length=3)
    decimals = fields.integer("decimals", default=4, minimum=0, maximum=6)
    peak = _peak(fields)
    fields.check()
    plan = plans.create_retail_plan(name, currency.upper(), decimals, peak)
    db.session.commit()
    return plan_json(plan), 201


@bp.post("/carrier-plans")
@require_api("admin")
def create_carrier_plan_endpoint():
    fields = Fields(json_body())
    name = fields.text("name", required=True, max_length=120)
    currency = fields.text("currency", required=True, max_length=3)
    provider_id = fields.integer("provider_id", required=True, minimum=1)
    fields.check()
    plan = plans.create_carrier_plan(name, currency.upper(), provider_id)
    db.session.commit()
    return plan_json(plan), 201


DECKS = {"retail-plans": (RetailPlan, RetailRate), "carrier-plans": (CarrierPlan, CarrierRate)}


def _deck_plan(kind, plan_id):
    plan_model, rate_model = DECKS[kind]
    plan = db.session.get(plan_model, plan_id)
    if plan is None:
        raise ApiError(404, "not_found", f"There is no {kind[:-1].replace('-', ' ')} {plan_id}.")
    return plan, rate_model


def _deck_rows():
    """(mode, [(line, row)]) from a JSON body or a text/csv body (?mode= for CSV)."""
    if request.mimetype == "text/csv":
        mode = request.args.get("mode", "merge")
        text = request.get_data(as_text=True)
        return mode, decks.rows_from_csv(text)
    body = json_body()
    rates = body.get("rates")
    if not isinstance(rates, list):
        raise ApiError(400, "invalid_input", "rates must be a list of rate objects.", {"rates": "a list"})
    return body.get("mode", "merge"), [(str(n), row) for n, row in enumerate(rates)]


@bp.post("/<any('retail-plans', 'carrier-plans'):kind>/<int:plan_id>/rates")
@require_api("admin")
def import_rates_endpoint(kind, plan_id):
    plan, rate_model = _deck_plan(kind, plan_id)
    try:
        mode, rows = _deck_rows()
        if mode not in decks.MODES:
            raise ApiError(400, "invalid_input", "mode is merge or replace.", {"mode": "merge or replace"})
        result = decks.import_deck(rate_model, plan.id, rows, mode, typed=request.mimetype != "text/csv")
    except decks.DeckRejected as rejected:
        raise ApiError(400, "invalid_rates", f"The deck was refused: {len(rejected.errors)} bad line(s); "
                       "nothing was imported.", {"lines": rejected.errors}) from None
    db.session.commit()
    return {"created": result.created, "updated": result.updated, "deleted": result.deleted}


def _exported(value):
    """Times as ISO 8601, increments as the integers they are, money as decimal strings."""
    if value is None or isinstance(value, int):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@bp.get("/<any('retail-plans', 'carrier-plans'):kind>/<int:plan_id>/rates")
@require_api("admin")
def export_rates_endpoint(kind, plan_id):
    plan, rate_model = _deck_plan(kind, plan_id)
    if request.args.get("format") == "csv":
        return Response(decks.export_csv(rate_model, plan.id), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="rates-{kind}-{plan.id}.csv"'})
    rows = decks.export_rows(rate_model, plan.id)
    return {"items": [{k: _exported(v) for k, v in row.items()} for row in rows]}


def _ban_prefixes(fields):
    """The prefixes as the engine takes them, each bad one named by its index."""
    prefixes = fields.body.get("prefixes")
    if not isinstance(prefixes, list):
        fields.errors["prefixes"] = "a list of digit strings (1 to 15 digits)"
        return []
    for n, prefix in enumerate(prefixes):
        try:
            rating.check_ban_prefix(prefix)
        except rating.TariffError as error:
            fields.errors[f"prefixes[{n}]"] = str(error)
    return prefixes


@bp.post("/ban-plans")
@require_api("admin")
def create_ban_plan_endpoint():
    fields = Fields(json_body())
    name = fields.text("name", required=True, max_length=120)
    prefixes = _ban_prefixes(fields)
    fields.check()
    plan = plans.create_ban_plan(name, prefixes)
    db.session.commit()
    return {"id": plan.id, "name": plan.name, "prefixes": [p.prefix for p in plan.prefixes]}, 201


def _retail_links(fields):
    """The engine's RetailLinks for `retail_plans`, each bad value named by its link's index."""
    given, links = _objects(fields, "retail_plans", required=True), []
    for n, link in enumerate(given):
        sub = Fields(link)
        plan_id = sub.integer("id", required=True, minimum=1)
        prefix = sub.text("caller_prefix", max_length=15)
        priority = sub.integer("priority", default=0, minimum=-1000, maximum=1000)
        if not sub.errors:
            try:
                links.append(rating.RetailLink(plan_id, prefix, priority))
            except rating.TariffError as error:
                sub.errors.update(error.fields)
        for key, problem in sub.errors.items():
            fields.errors[f"retail_plans[{n}].{key}"] = problem
    if not given and "retail_plans" not in fields.errors:
        fields.errors["retail_plans"] = "at least one retail plan"
    return links


def _one_link_each(links):
    """A retail plan linked twice with one caller prefix is two answers to one question: 422."""
    seen = set()
    for n, link in enumerate(links):
        if (link.retail_plan_id, link.caller_prefix) in seen:
            raise ApiError(422, "duplicate_retail_plan", f"Retail plan {link.retail_plan_id} is linked twice with "
                           f"caller prefix {link.caller_prefix!r}.", {f"retail_plans[{n}]": "linked already"})
        seen.add((link.retail_plan_id, link.caller_prefix))


@bp.post("/voip-plans")
@require_api("admin")
def create_voip_plan_endpoint():
    fields = Fields(json_body())
    name = fields.text("name", required=True, max_length=120)
    links = _retail_links(fields)
    carrier_ids, ban_ids = _ids(fields, "carrier_plans"), _ids(fields, "ban_plans")
    no_loss = fields.body.get("no_loss", False)
    if not isinstance(no_loss, bool):
        fields.errors["no_loss"] = "true or false"
    fields.check()
    _one_link_each(links)
    plan = plans.create_voip_plan(name, links, carrier_ids, ban_ids, no_loss)
    db.session.commit()
    return {"id": plan.id, "name": plan.name, "currency": plan.currency, "no_loss": plan.no_loss,
            "retail_plans": [{"id": link.retail_plan_id, "caller_prefix": link.caller_prefix,
                              "priority": link.priority} for link in plan.retail_links],
            "carrier_plans": [p.id for p in plan.carrier_plans], "ban_plans": [p.id for p in plan.ban_plans]}, 201
