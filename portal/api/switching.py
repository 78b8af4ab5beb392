"""What switches ask before a call: POST /authorize and GET /rates/lookup."""
from datetime import UTC, datetime
from decimal import Decimal

from flask import request
from sqlalchemy import select

from portal.api import bp
from portal.api.auth import KeyCheck, require_api
from portal.api.errors import ApiError
from portal.api.parsing import Fields, json_body, parse_time
from portal.authorization import authorize
from portal.extensions import db
from portal.models import Account
from portal.rating import UnknownVoipPlan
from portal.tariffs.cache import rating_engine
from portal.tariffs.loader import account_dial_rules
from portal.transactions import autocommit_statements

#: Money leaves the API with the six places it is stored with, however it was computed.
MONEY_PLACES = Decimal("0.000001")


def routes_json(routes):
    return [{"provider": r.provider, "provider_id": r.provider_id,
             "gateway": _gateway(r.gateways[0]) if r.gateways else None,
             "gateways": [_gateway(g) for g in r.gateways], "prefix": r.prefix,
             "cost_per_minute": str(r.cost_per_minute), "connect_fee": str(r.connect_fee), "currency": r.currency}
            for r in routes]


def _gateway(gateway):
    return {"name": gateway.name, "host": gateway.host, "port": gateway.port, "prefix": gateway.prefix}


def rate_json(terms):
    if terms is None:
        return None
    return {"per_minute": str(terms.per_minute), "connect_fee": str(terms.connect_fee), "t1": terms.t1,
            "t2": terms.t2}


def destination_json(destination):
    return None if destination is None else {"prefix": destination.prefix, "name": destination.name}


@bp.post("/authorize")
@autocommit_statements
def authorize_endpoint():
    """Every call of every switch asks here first, so its key is checked in the statement that
    reads the account (`KeyCheck`) rather than by one of its own; the answers are require_api's."""
    key_check = KeyCheck("switch")
    try:
        account, caller, callee, call_uuid, at = _authorize_request()
    except ApiError:
        key_check.check(None)  # who asks is answered first (401, 403), as on every endpoint
        raise
    decision = authorize(account, caller, callee, call_uuid, at, caller_check=key_check)
    db.session.commit()
    return {"allowed": decision.allowed, "reason": decision.reason, "number": decision.number,
            "destination": destination_json(decision.destination), "rate": rate_json(decision.rate),
            "max_duration": decision.max_duration, "routes": routes_json(decision.routes),
            "hold": None if decision.hold_amount is None else str(decision.hold_amount.quantize(MONEY_PLACES))}


def _authorize_request():
    """(account, caller, callee, call uuid, time) of an authorization, or a 400 naming every bad field."""
    fields = Fields(json_body())
    account = fields.text("account", required=True, max_length=64)
    caller = fields.text("caller", default="", max_length=64)
    callee = fields.text("callee", required=True, max_length=64)
    call_uuid = fields.text("uuid", max_length=64)
    if call_uuid and "/" in call_uuid:
        fields.errors["uuid"] = "must not contain '/' (the call's CDR could not be read back at /cdrs/{uuid})"
    fields.text("src_ip", max_length=45)
    at = fields.moment("at")
    fields.check()
    return account, caller or "", callee, call_uuid, at


@bp.get("/rates/lookup")
@require_api("switch")
def rates_lookup_endpoint():
    code, number = request.args.get("account", ""), request.args.get("number", "")
    if not code or not number:
        raise ApiError(400, "invalid_input", "account and number are required.",
                       {k: "required" for k in ("account", "number") if not request.args.get(k)})
    at = parse_time(request.args["at"], "at") if request.args.get("at") else datetime.now(UTC)
    account = db.session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise ApiError(404, "not_found", f"There is no account {code}.")
    if account.voip_plan_id is None:
        raise ApiError(422, "no_rate", f"Account {code} has no VoIP plan.")
    try:
        found = rating_engine().lookup(account.voip_plan_id, number, at, account_dial_rules=account_dial_rules(account))
    except UnknownVoipPlan:
        raise ApiError(422, "no_rate", f"Account {code} has no usable VoIP plan.") from None
    if found.reason is not None:
        raise ApiError(422, found.reason, f"No price for {number}: {found.reason}.", {"number": found.reason})
    return {"number": found.number, "destination": destination_json(found.destination),
            "rate": {**rate_json(found.rate), "currency": found.currency}, "routes": routes_json(found.routes)}
