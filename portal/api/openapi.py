"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of every endpoint (no key needed), and the
check that holds each request's query parameters to it.

The document is exact where JSON Schema can say it: every pattern here is the one the code applies
(times, money, texts without NUL, blanks trimmed), so a request the document calls valid is not
refused for its form, and one it calls invalid is. What it cannot say (a currency that exists, a
deck whose lines repeat, a `to` after `from`, a CSV body's content) is refused with 422 where it is
a rule about the data, or with 400 as the code names it.
"""
import re
from functools import cache

from flask import request

from portal.accounts import PROFILE_LENGTHS
from portal.api import bp
from portal.api.errors import ApiError
from portal.api.parsing import (
    MONEY_PATTERN,
    NONZERO_MONEY_PATTERN,
    POSITIVE_MONEY_PATTERN,
    UNSIGNED_MONEY_PATTERN,
)
from portal.cdrs.parsers import FORMATS
from portal.inputs import BLANKS
from portal.models.accounts import ACCOUNT_STATUSES, BILLING_METHODS
from portal.models.cdrs import CDR_STATUSES
from portal.moments import TIME_PATTERN
from portal.rating.peak import holiday_calendars, time_zones
from portal.tariffs import decks

_BLANK = "".join({" ": " ", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f", "\v": "\\v"}[c] for c in BLANKS)
#: Text with no NUL (PostgreSQL cannot store one; `inputs.text_problem` refuses it).
NO_NUL = "^[^\\u0000]*$"
#: Text with something besides the blanks the API trims.
FILLED = f"^[^\\u0000]*[^\\u0000{_BLANK}][^\\u0000]*$"
MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["0.0123"]}
NULLABLE_MONEY = {"oneOf": [MONEY, {"type": "null"}]}
_MONEY_NUMBER = {"type": "number", "exclusiveMinimum": -10**12, "exclusiveMaximum": 10**12, "multipleOf": 0.000001}
TIME = {"type": "string", "pattern": TIME_PATTERN, "examples": ["2026-10-05T14:03:00Z"],
        "description": "ISO 8601 (a date, or a date and a time), written in the years 2000 to 2199; UTC "
                       "when it has no offset"}
PERIOD = {"type": "string", "pattern": "^2[01][0-9]{2}-(0[1-9]|1[0-2])$", "examples": ["2026-10"]}
HH_MM = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date", "examples": ["2026-12-24"]}
EMAIL = {"type": "string", "maxLength": 254, "pattern": "^[^\\u0000]*@[^\\u0000]*$",
         "examples": ["ops@example.com"]}
#: `GET /cdrs/{uuid}` must be able to name every call, so a uuid holds no `/`.
CALL_UUID = {"type": "string", "maxLength": 64, "pattern": "^[^/\\u0000]*$"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
#: Requests a switch of the demo operator (`flask demo`) may send as they are.
AUTHORIZE_EXAMPLE = {"account": "1001", "caller": "4930123456", "callee": "4915112345678",
                     "uuid": "example-call-1"}
CDRS_EXAMPLE = {"cdrs": [{"uuid": "example-call-1", "account": "1001", "caller": "4930123456",
                          "callee": "4915112345678", "start": "2026-10-05T14:03:00Z", "answer": "2026-10-05T14:03:05Z",
                          "end": "2026-10-05T14:05:05Z", "billsec": 120, "hangup_cause": 16}]}


def nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}


def text(max_length, filled=False, **extra):
    """A string as `parsing.Fields.text` takes it: at most `max_length` characters, no NUL, and
    more than blanks when `filled` (a required text)."""
    return {"type": "string", "maxLength": max_length, "pattern": FILLED if filled else NO_NUL, **extra}


def integer(minimum, maximum):
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def money_in(pattern=MONEY_PATTERN, minimum=None, maximum=None):
    """Money in: a decimal string in `pattern` (see `parsing.money_value`) or a JSON number, six
    places at most, below 10^12 in magnitude, within `minimum` and `maximum` when given."""
    number = dict(_MONEY_NUMBER)
    if minimum is not None:
        number.pop("exclusiveMinimum")
        number["minimum"] = minimum
    if maximum is not None:
        number.pop("exclusiveMaximum")
        number["maximum"] = maximum
    return {"oneOf": [{"type": "string", "pattern": pattern, "examples": ["0.0123"]}, number]}


#: Unsigned decimal strings from 0 to 100: a tax rate.
PERCENT_PATTERN = "^\\+?0*([0-9]{1,2}(\\.[0-9]{1,6})?|100(\\.0{1,6})?)$"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties, required=(), extra=True):
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def listing(item):
    return obj({"items": {"type": "array", "items": item}, "next_cursor": nullable({"type": "string"})},
               ["items", "next_cursor"])


def _account_in(patch):
    """An account's fields as POST takes them (null: left out) or PATCH (null: cleared, where a
    column may be empty; refused elsewhere)."""
    optional = (lambda schema: schema) if patch else nullable
    return {
        "code": text(64, filled=True), "name": text(200, filled=True), "email": EMAIL,
        "currency": text(3, filled=not patch, description="ISO 4217; one that exists, else 422 unknown_currency"
                         + ("; cannot change: 422 currency_immutable" if patch else "")),
        "billing": {"enum": list(BILLING_METHODS)},
        "credit_limit": optional(money_in(UNSIGNED_MONEY_PATTERN, minimum=0)),
        "voip_plan_id": nullable(ID),
        "country": nullable(text(2, description="ISO 3166 alpha-2; one that exists, else 422")),
        "timezone": optional(ref("TimeZone")),
        "tax_rate": optional(money_in(PERCENT_PATTERN, minimum=0, maximum=100)),
        "dial_rules": optional({"type": "array", "items": ref("DialRule")}),
        "profile": optional(obj({name: {"type": "string", "pattern": NO_NUL, **({"maxLength": length} if length else {})}
                                 for name, length in PROFILE_LENGTHS.items()}, extra=False)),
    }


_AMOUNT_RULES = [
    {"properties": {"type": {"enum": ["payment", "return", "credit", "return_credit"]},
                    "amount": {"oneOf": [{"type": "string", "pattern": POSITIVE_MONEY_PATTERN},
                                         {**_MONEY_NUMBER, "exclusiveMinimum": 0}]}}},
    {"properties": {"type": {"const": "adjustment"},
                    "amount": {"oneOf": [{"type": "string", "pattern": NONZERO_MONEY_PATTERN},
                                         {**_MONEY_NUMBER, "not": {"const": 0}}]}}},
]
#: A rate deck's price: unsigned, six places, below 10^8 (`decks.MAX_PRICE`).
PRICE = {"oneOf": [{"type": "string", "pattern": decks.PRICE.pattern, "examples": ["0.0123"]},
                   {"type": "number", "minimum": 0, "exclusiveMaximum": 10**8, "multipleOf": 0.000001}]}
_EMPTY = {"enum": [None, ""]}


def _rate_in():
    """One line of a JSON deck, as `decks.clean_row` takes it: exactly one of prefix and number."""
    seconds = {"type": ["integer", "null"], "maximum": 86400}
    return {
        "type": "object", "additionalProperties": False, "required": ["rate"],
        "properties": {
            "prefix": {"type": ["string", "null"], "pattern": "^([0-9]{1,15})?$"},
            "number": {"type": ["string", "null"], "pattern": "^([0-9]{3,15})?$"},
            "destination": nullable(text(120, pattern=DESTINATION)),
            "rate": PRICE, "rate_peak": nullable(PRICE), "connect_fee": nullable(PRICE),
            "t1": {**seconds, "minimum": 0}, "t2": {**seconds, "minimum": 1},
            "effective_from": nullable(TIME), "effective_to": nullable(TIME),
        },
        "oneOf": [
            {"required": ["prefix"], "properties": {"prefix": {"type": "string", "minLength": 1}, "number": _EMPTY}},
            {"required": ["number"], "properties": {"number": {"type": "string", "minLength": 1}, "prefix": _EMPTY}},
        ],
        "description": "Lines may not repeat a prefix or number with the same effective_from, and an "
                       "effective_to comes after its effective_from: such a deck is refused whole (400) "
                       "with those lines named.",
    }


_CONTROLS = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029"
#: A destination's name as `decks.clean_row` takes it: blanks around it are trimmed; inside, no
#: control character; first, none of = + - @ (a spreadsheet would run it).
DESTINATION = f"^[{_BLANK}]*([^=+\\-@ {_CONTROLS}][^{_CONTROLS}]*)?[{_BLANK}]*$"

SCHEMAS = {
    "Error": obj({"error": obj({"code": {"type": "string"}, "message": {"type": "string"},
                                "fields": {"type": "object"}}, ["code", "message", "fields"])}, ["error"]),
    "TimeZone": {"enum": sorted(time_zones()), "description": "An IANA time zone", "examples": ["Europe/London"]},
    "HolidayCalendar": {"enum": list(holiday_calendars()),
                        "description": "A `holidays` calendar: a country (GB), or one of its subdivisions (GB-ENG)"},
    "DialRule": obj({"match": text(20), "replace": text(20)}, ["match"]),
    "AccountCreate": obj({**_account_in(patch=False), "password": nullable(
        {"type": "string", "minLength": 10, "maxLength": 1024, "pattern": NO_NUL})},
        ["code", "name", "email", "currency", "billing"]),
    "AccountPatch": obj({**_account_in(patch=True), "status": {"enum": list(ACCOUNT_STATUSES)}}, extra=False),
    "Account": obj({
        "code": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
        "currency": {"type": "string"}, "billing": {"enum": ["prepaid", "postpaid"]}, "balance": MONEY,
        "credit_limit": MONEY, "available": MONEY, "voip_plan_id": nullable({"type": "integer"}),
        "status": {"type": "string"}, "below_limit": {"type": "boolean"}, "country": nullable({"type": "string"}),
        "timezone": {"type": "string"}, "tax_rate": MONEY, "created_at": {"type": "string"},
        "dial_rules": {"type": "array", "items": ref("DialRule")}, "profile": {"type": "object"},
    }, ["code", "currency", "billing", "balance", "credit_limit", "available", "voip_plan_id", "status"]),
    "TransactionCreate": {**obj({"type": {"enum": ["payment", "return", "credit", "return_credit", "adjustment"]},
                                 "amount": money_in(), "description": nullable(text(1000))}, ["type", "amount"]),
                          "oneOf": _AMOUNT_RULES},
    "TransactionReceipt": obj({"id": {"type": "integer", "description": "The ledger transaction's id; for credit "
                                       "and return_credit (credit-limit changes, not money) the credit-limit event's "
                                       "id: type tells which."}, "type": {"type": "string"},
                               "amount": MONEY, "balance": MONEY, "credit_limit": MONEY, "available": MONEY},
                              ["id", "type", "amount", "balance", "credit_limit", "available"]),
    "Transaction": obj({"id": {"type": "integer"}, "type": {"type": "string"}, "amount": MONEY,
                        "currency": {"type": "string"}, "description": {"type": "string"},
                        "created_at": {"type": "string"}, "created_by": {"type": "string"},
                        "corrects": nullable({"type": "integer"}), "cdr": {"type": "string"}},
                       ["id", "type", "amount", "currency", "created_at"]),
    "Gateway": obj({"name": text(120, filled=True), "host": text(255, filled=True),
                    "port": nullable(integer(1, 65535)), "prefix": nullable(text(20))}, ["name", "host"]),
    "ProviderCreate": obj({"name": text(120, filled=True), "priority": nullable(integer(-1000, 1000)),
                           "gateways": {"type": "array", "minItems": 1, "items": ref("Gateway")}},
                          ["name", "gateways"]),
    "Provider": obj({"id": {"type": "integer"}, "name": {"type": "string"}, "priority": {"type": "integer"},
                     "enabled": {"type": "boolean"}, "gateways": {"type": "array", "items": {"type": "object"}}},
                    ["id", "name", "gateways"]),
    "Peak": obj({"timezone": ref("TimeZone"),
                 "weekdays": {"type": "array", "minItems": 1, "items": integer(0, 6)},
                 "start": {"type": "string", "pattern": HH_MM, "examples": ["08:00"]},
                 "end": {"type": "string", "pattern": HH_MM,
                         "description": "An end not after the start runs past midnight (22:00-06:00); "
                                        "equal to it, the whole day."},
                 "holidays": nullable(ref("HolidayCalendar")),
                 "extra_holidays": nullable({"type": "array", "items": DATE})},
                ["timezone", "weekdays", "start", "end"]),
    "RetailPlanCreate": obj({"name": text(115, filled=True),
                             "currency": text(3, filled=True, description="ISO 4217, any case; one that exists, "
                                                                          "else 422 unknown_currency"),
                             "decimals": nullable(integer(0, 6)), "peak": nullable(ref("Peak"))},
                            ["name", "currency"]),
    "CarrierPlanCreate": obj({"name": text(120, filled=True),
                              "currency": text(3, filled=True, description="ISO 4217, any case; one that "
                                                                           "exists, else 422"),
                              "provider_id": ID}, ["name", "currency", "provider_id"]),
    "Plan": obj({"id": {"type": "integer"}, "name": {"type": "string"}, "currency": {"type": "string"},
                 "decimals": {"type": "integer"}, "provider_id": {"type": "integer"}, "peak": nullable(ref("Peak"))},
                ["id", "name", "currency"]),
    "RateIn": _rate_in(),
    "RateDeck": obj({"mode": {"enum": ["merge", "replace"]}, "rates": {"type": "array", "items": ref("RateIn")}},
                    ["rates"]),
    "RateDeckResult": obj({"created": {"type": "integer"}, "updated": {"type": "integer"},
                           "deleted": {"type": "integer"}}, ["created", "updated", "deleted"]),
    "BanPlanCreate": obj({"name": text(120, filled=True),
                          "prefixes": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,15}$"}}},
                         ["name", "prefixes"]),
    "VoipPlanCreate": obj({"name": text(120, filled=True),
                           "retail_plans": {"type": "array", "minItems": 1, "items": obj({
                               "id": ID, "caller_prefix": nullable({"type": "string", "pattern": "^([0-9]{1,15})?$"}),
                               "priority": nullable(integer(-1000, 1000))}, ["id"])},
                           "carrier_plans": {"type": "array", "items": ID},
                           "ban_plans": {"type": "array", "items": ID},
                           "no_loss": {"type": "boolean"}}, ["name", "retail_plans"]),
    "Created": obj({"id": {"type": "integer"}}, ["id"]),
    "Destination": nullable(obj({"prefix": {"type": "string"}, "name": {"type": "string"}}, ["prefix", "name"])),
    "RateTerms": obj({"per_minute": MONEY, "connect_fee": MONEY, "t1": {"type": "integer"},
                      "t2": {"type": "integer"}}, ["per_minute", "connect_fee", "t1", "t2"]),
    "Route": obj({"provider": {"type": "string"}, "gateway": nullable({"type": "object"}),
                  "cost_per_minute": MONEY}, ["provider", "gateway", "cost_per_minute"]),
    "AuthorizeRequest": obj({"account": text(64, filled=True), "caller": nullable(text(64)),
                             "callee": text(64, filled=True), "uuid": nullable(CALL_UUID),
                             "src_ip": nullable(text(45)), "at": nullable(TIME)},
                            ["account", "callee"]),
    "Authorization": obj({
        "allowed": {"type": "boolean"},
        "reason": {"enum": [None, "unknown_account", "account_suspended", "invalid_number", "banned", "no_rate",
                            "insufficient_funds", "blocked"]},
        "number": nullable({"type": "string"}), "destination": ref("Destination"),
        "rate": nullable(ref("RateTerms")), "max_duration": {"type": "integer", "minimum": 0},
        "routes": {"type": "array", "items": ref("Route")}, "hold": NULLABLE_MONEY,
    }, ["allowed", "reason", "number", "destination", "rate", "max_duration", "routes"]),
    "CdrIn": obj({"uuid": CALL_UUID, "account": {"type": "string"}, "caller": {"type": "string"},
                  "callee": {"type": "string"}, "start": TIME, "answer": TIME, "end": TIME,
                  "billsec": {"type": "integer", "minimum": 0, "description": "at most MAX_CDR_SECONDS"},
                  "duration": {"type": "integer"},
                  "hangup_cause": {"oneOf": [{"type": "integer"}, {"type": "string"}]}, "src_ip": {"type": "string"},
                  "provider": {"type": "string"}, "switch": {"type": "string"}},
                 ["uuid", "account", "callee", "start", "billsec"]),
    "CdrBatch": obj({"cdrs": {"type": "array", "maxItems": 10000, "items": {"anyOf": [ref("CdrIn"), {}]},
                              "description": "Each item is taken or rejected on its own: one that is not a "
                                             "valid CdrIn comes back in `rejected` with its index and why, and "
                                             "the rest of the batch is kept."}},
                    ["cdrs"]),
    "IngestResult": obj({"accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                         "rejected": {"type": "array", "items": obj({"index": {"type": "integer"},
                                                                     "error": {"type": "string"}},
                                                                    ["index", "error"])}},
                        ["accepted", "duplicates", "rejected"]),
    "Cdr": obj({"uuid": {"type": "string"}, "account": {"type": "string"}, "number": nullable({"type": "string"}),
                "start": {"type": "string"}, "billsec": {"type": "integer"},
                "billable_seconds": nullable({"type": "integer"}),
                "destination": ref("Destination"), "price": NULLABLE_MONEY, "currency": nullable({"type": "string"}),
                "cost": NULLABLE_MONEY, "cost_currency": nullable({"type": "string"}),
                "provider": nullable({"type": "string"}), "status": {"type": "string"},
                "invoice": nullable({"type": "string"}), "trace": nullable({"type": "object"})},
               ["uuid", "account", "number", "start", "billsec", "billable_seconds", "destination", "price",
                "currency", "cost", "cost_currency", "provider", "status", "invoice", "trace"]),
    "RerateRequest": obj({"from": TIME, "to": {**TIME, "description": "after from"},
                          "account": nullable(text(64))}, ["from", "to"]),
    "RerateResult": obj({"examined": {"type": "integer"}, "changed": {"type": "integer"},
                         "reversed": {"type": "integer"}}, ["examined", "changed", "reversed"]),
    "InvoiceRunRequest": obj({"period": PERIOD, "account": nullable(text(64))}, ["period"]),
    "InvoiceRunResult": obj({
        "invoices": {"type": "array", "items": {"type": "string"}, "description": "numbers issued by this run"},
        "existing": {"type": "array", "items": {"type": "string"}, "description": "issued before for the period"},
        "failed": {"type": "array", "items": obj({"account": {"type": "string"}, "code": {"type": "string"},
                                                  "message": {"type": "string"}}, ["account", "code", "message"])},
    }, ["invoices", "existing", "failed"]),
    "InvoiceLine": obj({"description": {"type": "string"}, "quantity": MONEY, "unit": {"type": "string"},
                        "amount": MONEY}, ["description", "quantity", "unit", "amount"]),
    "Invoice": obj({
        "number": {"type": "string", "examples": ["INV-2026-000001"]}, "kind": {"enum": ["invoice", "credit_note"]},
        "account": {"type": "string"}, "period": {"type": "string"}, "currency": {"type": "string"},
        "issued_at": {"type": "string"}, "due_date": nullable({"type": "string", "format": "date"}),
        "status": {"enum": ["issued", "paid", "credited"]}, "subtotal": MONEY, "tax_rate": MONEY, "tax": MONEY,
        "total": MONEY, "corrects": nullable({"type": "string"}), "pdf_sha256": nullable({"type": "string"}),
        "lines": {"type": "array", "items": ref("InvoiceLine")},
    }, ["number", "account", "period", "currency", "issued_at", "due_date", "status", "subtotal", "tax", "total",
        "lines"]),
    "Lookup": obj({"number": {"type": "string"}, "destination": ref("Destination"),
                   "rate": {"type": "object"}, "routes": {"type": "array", "items": ref("Route")}},
                  ["number", "destination", "rate", "routes"]),
}


def _json(schema, example=None):
    media = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _errors(*codes):
    text_of = {400: "invalid input", 401: "missing or unknown API key", 403: "the key's role may not call this",
               404: "not found", 409: "conflict (duplicate, idempotency key reused)",
               422: "a rule about the data said no"}
    return {str(code): {"description": text_of[code], "content": _json(ref("Error"))} for code in codes}


def op(summary, role, ok, ok_schema, body=None, params=(), errors=(), content=None):
    """An operation; every one may answer 400 (a NUL anywhere in the address, a malformed query),
    401 and 403."""
    operation = {"summary": summary, "description": f"Key role: {role}.", "parameters": list(params),
                 "responses": {str(ok): {"description": "success", "content": content or _json(ok_schema)},
                               **_errors(*sorted({400, 401, 403, *errors}))}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    return operation


def path_param(name, schema=None, example=None):
    return _param({"name": name, "in": "path", "required": True, "schema": schema or text(255)}, example)


def query(name, schema=None, required=False, example=None):
    return _param({"name": name, "in": "query", "required": required, "schema": schema or text(255)}, example)


def _param(parameter, example):
    if example is not None:
        parameter["example"] = example
    return parameter


PAGE = [query("limit", integer(1, 500)),
        query("cursor", {"type": "string", "pattern": "^[0-9]+$",
                         "description": "next_cursor of the page before"})]
CSV = {"text/csv": {"schema": {"type": "string"}}}
CODE = path_param("code", text(255), example="1001")


def _deck_paths(kind):
    plan = path_param("plan_id", integer(0, 2**31 - 1))
    return {
        f"/{kind}/{{plan_id}}/rates": {
            "post": op(f"Import a rate deck into a {kind[:-1]} (JSON, or text/csv with ?mode=)", "admin", 200,
                       ref("RateDeckResult"), body={**_json(ref("RateDeck")), **CSV},
                       params=[plan, query("mode", {"enum": ["merge", "replace"]})], errors=(404,)),
            "get": op(f"Export a {kind[:-1]}'s rate deck (?format=csv re-imports as is)", "admin", 200,
                      obj({"items": {"type": "array"}}), params=[plan, query("format", {"enum": ["json", "csv"]})],
                      errors=(404,), content={**_json(obj({"items": {"type": "array"}})), **CSV}),
        }
    }


@cache
def document():
    paths = {
        "/accounts": {"post": op("Create an account", "admin", 201, ref("Account"), _json(ref("AccountCreate")),
                                 errors=(409, 422))},
        "/accounts/{code}": {
            "get": op("Read an account", "admin", 200, ref("Account"), params=[CODE], errors=(404,)),
            "patch": op("Change an account (not its currency)", "admin", 200, ref("Account"),
                        _json(ref("AccountPatch")), params=[CODE], errors=(404, 409, 422)),
        },
        "/accounts/{code}/transactions": {
            "post": op("Post money: payment, return, credit, return_credit, adjustment", "admin", 201,
                       ref("TransactionReceipt"), _json(ref("TransactionCreate")),
                       params=[CODE, {"name": "Idempotency-Key", "in": "header", "required": True,
                                      "description": "Required (DESIGN §4). The same key with the same request "
                                                     "returns the first answer; with another request 409 "
                                                     "idempotency_conflict.",
                                      "schema": {"type": "string", "minLength": 1, "maxLength": 128}}],
                       errors=(404, 409, 422)),
            "get": op("The account's ledger lines, newest first", "admin", 200, listing(ref("Transaction")),
                      params=[CODE, *PAGE], errors=(404,)),
        },
        "/providers": {"post": op("Create a provider with gateways (two with one name: 422)", "admin", 201,
                                  ref("Provider"), _json(ref("ProviderCreate")), errors=(409, 422))},
        "/retail-plans": {"post": op("Create a retail plan", "admin", 201, ref("Plan"),
                                     _json(ref("RetailPlanCreate")), errors=(409, 422))},
        "/carrier-plans": {"post": op("Create a carrier plan", "admin", 201, ref("Plan"),
                                      _json(ref("CarrierPlanCreate")), errors=(409, 422))},
        **_deck_paths("retail-plans"), **_deck_paths("carrier-plans"),
        "/ban-plans": {"post": op("Create a ban plan", "admin", 201, ref("Created"), _json(ref("BanPlanCreate")),
                                  errors=(409,))},
        "/voip-plans": {"post": op("Create a VoIP plan (a retail plan twice with one caller prefix: 422)", "admin",
                                   201, ref("Created"), _json(ref("VoipPlanCreate")), errors=(409, 422))},
        "/authorize": {"post": op("May this call start, for how long, over which routes (a uuid already "
                                  "authorized for another account, or whose call is over: 409)", "switch", 200,
                                  ref("Authorization"), _json(ref("AuthorizeRequest"), AUTHORIZE_EXAMPLE),
                                  errors=(409,))},
        "/cdrs": {
            "post": op("Send CDRs (JSON, or text/csv with ?format=native|asterisk|freeswitch; ?columns= says "
                       "which of uniqueid and userfield an Asterisk Master.csv logs, else each row's width and "
                       "content tell). A native CSV must start with a header naming uuid, account, callee, "
                       "start and billsec, else 400 invalid_csv.", "switch", 200, ref("IngestResult"),
                       {**_json(ref("CdrBatch"), CDRS_EXAMPLE), **CSV},
                       params=[query("format", {"enum": list(FORMATS)}), query("timezone", ref("TimeZone")),
                               query("columns", {"enum": ["uniqueid", "userfield", "uniqueid,userfield"],
                                                 "description": "format=asterisk only (else 400 invalid_csv)"})]),
            "get": op("List CDRs", "switch", 200, listing(ref("Cdr")),
                      params=[query("account", text(64), example="1001"), query("from", TIME), query("to", TIME),
                              query("status", {"enum": list(CDR_STATUSES)}), *PAGE]),
        },
        "/cdrs/{uuid}": {"get": op("One CDR with its trace", "switch", 200, ref("Cdr"),
                                   params=[path_param("uuid", example="example-call-1")], errors=(404,))},
        "/cdrs/rerate": {"post": op("Re-rate a period's CDRs not yet invoiced (to not after from: 400)", "admin",
                                    200, ref("RerateResult"), _json(ref("RerateRequest")), errors=(404,))},
        "/invoices/run": {"post": op("Close a month: issue the invoices of a period (again: nothing new)", "admin",
                                     200, ref("InvoiceRunResult"), _json(ref("InvoiceRunRequest")),
                                     errors=(404, 422))},
        "/invoices": {"get": op("List invoices and credit notes, newest first", "admin", 200, listing(ref("Invoice")),
                                params=[query("account", text(64)), query("period", PERIOD), *PAGE])},
        "/invoices/{number}": {"get": op("One invoice or credit note", "admin", 200, ref("Invoice"),
                                         params=[path_param("number")], errors=(404,))},
        "/invoices/{number}.pdf": {"get": op("The PDF stored at issue, byte for byte", "admin", 200, None,
                                             params=[path_param("number")], errors=(404,),
                                             content={"application/pdf": {"schema": {"type": "string",
                                                                                     "format": "binary"}}})},
        "/rates/lookup": {"get": op("The price and routes of a number", "switch", 200, ref("Lookup"),
                                    params=[query("account", text(64, filled=True), required=True, example="1001"),
                                            query("number", text(64, filled=True), required=True,
                                                  example="4915112345678"), query("at", TIME)],
                                    errors=(404, 422))},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "VoIP2Bill API", "version": "1",
                 "description": "Money travels as decimal strings; times are ISO 8601 (UTC when no offset). "
                                "Errors: {\"error\": {\"code\", \"message\", \"fields\"}}."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": paths,
    }


@bp.get("/openapi.json")
def openapi_endpoint():
    return document()


# ---------------------------------------------------------------------------------------------------
# Query parameters, held to the document


def check_query():
    """Refuse (400, every problem named) a query parameter the operation does not document, or one
    it does given twice, missing while required, or outside its schema. Called once the caller is
    known, so who asks is answered first (401, 403)."""
    parameters = _query_parameters(request.url_rule.rule, request.method, (request.view_args or {}).get("kind"))
    known = {parameter["name"] for parameter in parameters}
    problems = {_shown(name): "not a parameter of this operation" for name in request.args if name not in known}
    for parameter in parameters:
        name = parameter["name"]
        values = request.args.getlist(name)
        if not values:
            if parameter.get("required"):
                problems[name] = "required"
        elif len(values) > 1:
            problems[name] = "give it once"
        else:
            problem = _query_problem(values[0], _resolve(parameter["schema"]))
            if problem:
                problems[name] = problem
    if problems:
        raise ApiError(400, "invalid_input", "Some query parameters are invalid.", problems)


@cache
def _query_parameters(rule, method, kind):
    """The documented query parameters of the operation that `rule` serves (`kind` fills in the
    rate decks' retail-plans or carrier-plans)."""
    path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.removeprefix("/api/v1"))
    if kind:
        path = path.replace("{kind}", kind)
    operation = document()["paths"].get(path, {}).get(method.lower(), {})
    return tuple(p for p in operation.get("parameters", ()) if p["in"] == "query")


def _shown(name):
    """A parameter's name as an answer can carry it, NUL and all (a query's names are not checked)."""
    return name.replace("\x00", "\\x00")[:60]


def _resolve(schema):
    return SCHEMAS[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema


def _query_problem(value, schema):
    """Why `value` does not fit `schema` (the subset the query parameters use), or None."""
    if "enum" in schema:
        return None if value in schema["enum"] else "one of: " + ", ".join(map(str, schema["enum"][:10]))
    if schema.get("type") == "integer":
        if not re.fullmatch("-?[0-9]{1,18}", value):
            return "an integer"
        if not schema["minimum"] <= int(value) <= schema["maximum"]:
            return f"from {schema['minimum']} to {schema['maximum']}"
        return None
    if len(value) > schema.get("maxLength", len(value)):
        return f"at most {schema['maxLength']} characters"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return schema.get("description") or f"must match {schema['pattern']}"
    return None
