"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of every endpoint (no key needed)."""
from portal.api import bp

MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["0.0123"]}
MONEY_IN = {"oneOf": [MONEY, {"type": "number"}]}
NULLABLE_MONEY = {"oneOf": [MONEY, {"type": "null"}]}
TIME = {"type": "string", "examples": ["2026-10-05T14:03:00Z"]}
PERIOD = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-10"]}
HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
#: `GET /cdrs/{uuid}` must be able to name every call, so a uuid holds no `/`.
CALL_UUID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^/]+$"}
#: Requests a switch of the demo operator (`flask demo`) may send as they are.
AUTHORIZE_EXAMPLE = {"account": "1001", "caller": "4930123456", "callee": "4915112345678",
                     "uuid": "example-call-1"}
CDRS_EXAMPLE = {"cdrs": [{"uuid": "example-call-1", "account": "1001", "caller": "4930123456",
                          "callee": "4915112345678", "start": "2026-10-05T14:03:00Z", "answer": "2026-10-05T14:03:05Z",
                          "end": "2026-10-05T14:05:05Z", "billsec": 120, "hangup_cause": 16}]}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties, required=(), extra=True):
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}


def listing(item):
    return obj({"items": {"type": "array", "items": item}, "next_cursor": nullable({"type": "string"})},
               ["items", "next_cursor"])


SCHEMAS = {
    "Error": obj({"error": obj({"code": {"type": "string"}, "message": {"type": "string"},
                                "fields": {"type": "object"}}, ["code", "message", "fields"])}, ["error"]),
    "DialRule": obj({"match": {"type": "string", "maxLength": 20}, "replace": {"type": "string", "maxLength": 20}},
                    ["match"]),
    "AccountCreate": obj({
        "code": {"type": "string", "minLength": 1, "maxLength": 64}, "name": {"type": "string", "maxLength": 200},
        "email": {"type": "string", "format": "email"}, "currency": {"type": "string", "minLength": 3,
                                                                       "maxLength": 3},
        "billing": {"enum": ["prepaid", "postpaid"]}, "credit_limit": MONEY_IN, "voip_plan_id": {"type": "integer"},
        "country": {"type": "string", "maxLength": 2}, "timezone": {"type": "string"}, "tax_rate": MONEY_IN,
        "password": {"type": "string", "minLength": 10}, "dial_rules": {"type": "array", "items": ref("DialRule")},
        "profile": {"type": "object", "additionalProperties": {"type": "string"}},
    }, ["code", "name", "email", "currency", "billing"]),
    "AccountPatch": obj({
        "name": {"type": "string"}, "email": {"type": "string"}, "billing": {"enum": ["prepaid", "postpaid"]},
        "voip_plan_id": nullable({"type": "integer"}), "status": {"enum": ["active", "suspended", "closed"]},
        "country": {"type": "string"}, "timezone": {"type": "string"}, "tax_rate": MONEY_IN,
        "dial_rules": {"type": "array", "items": ref("DialRule")},
        "profile": {"type": "object", "additionalProperties": {"type": "string"}},
        "currency": {"type": "string", "description": "cannot change: 422 currency_immutable"},
    }),
    "Account": obj({
        "code": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
        "currency": {"type": "string"}, "billing": {"enum": ["prepaid", "postpaid"]}, "balance": MONEY,
        "credit_limit": MONEY, "available": MONEY, "voip_plan_id": nullable({"type": "integer"}),
        "status": {"type": "string"}, "below_limit": {"type": "boolean"}, "country": nullable({"type": "string"}),
        "timezone": {"type": "string"}, "tax_rate": MONEY, "created_at": TIME,
        "dial_rules": {"type": "array", "items": ref("DialRule")}, "profile": {"type": "object"},
    }, ["code", "currency", "billing", "balance", "credit_limit", "available", "voip_plan_id", "status"]),
    "TransactionCreate": obj({"type": {"enum": ["payment", "return", "credit", "return_credit", "adjustment"]},
                              "amount": MONEY_IN, "description": {"type": "string"}}, ["type", "amount"]),
    "TransactionReceipt": obj({"id": {"type": "integer", "description": "The ledger transaction's id; for credit "
                                       "and return_credit (credit-limit changes, not money) the credit-limit event's "
                                       "id: type tells which."}, "type": {"type": "string"},
                               "amount": MONEY, "balance": MONEY, "credit_limit": MONEY, "available": MONEY},
                              ["id", "type", "amount", "balance", "credit_limit", "available"]),
    "Transaction": obj({"id": {"type": "integer"}, "type": {"type": "string"}, "amount": MONEY,
                        "currency": {"type": "string"}, "description": {"type": "string"}, "created_at": TIME,
                        "created_by": {"type": "string"}, "corrects": nullable({"type": "integer"}),
                        "cdr": {"type": "string"}}, ["id", "type", "amount", "currency", "created_at"]),
    "Gateway": obj({"name": {"type": "string", "maxLength": 120}, "host": {"type": "string", "maxLength": 255},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "prefix": {"type": "string", "maxLength": 20}}, ["name", "host"]),
    "ProviderCreate": obj({"name": {"type": "string", "minLength": 1, "maxLength": 120},
                           "priority": {"type": "integer"},
                           "gateways": {"type": "array", "minItems": 1, "items": ref("Gateway")}},
                          ["name", "gateways"]),
    "Provider": obj({"id": {"type": "integer"}, "name": {"type": "string"}, "priority": {"type": "integer"},
                     "enabled": {"type": "boolean"}, "gateways": {"type": "array", "items": {"type": "object"}}},
                    ["id", "name", "gateways"]),
    "Peak": obj({"timezone": {"type": "string"}, "weekdays": {"type": "array", "minItems": 1, "items": {"type": "integer",
                                                                                         "minimum": 0,
                                                                                         "maximum": 6}},
                 "start": {"type": "string", "pattern": HH_MM, "examples": ["08:00"]},
                 "end": {"type": "string", "pattern": HH_MM,
                         "description": "An end not after the start runs past midnight (22:00-06:00); "
                                        "equal to it, the whole day."},
                 "holidays": nullable({"type": "string", "description": "A holidays calendar: GB or GB-ENG"}),
                 "extra_holidays": {"type": "array", "items": {"type": "string", "format": "date"}}},
                ["timezone", "weekdays", "start", "end"]),
    "RetailPlanCreate": obj({"name": {"type": "string"}, "currency": {"type": "string"},
                             "decimals": {"type": "integer", "minimum": 0, "maximum": 6}, "peak": ref("Peak")},
                            ["name", "currency"]),
    "CarrierPlanCreate": obj({"name": {"type": "string"}, "currency": {"type": "string"},
                              "provider_id": {"type": "integer"}}, ["name", "currency", "provider_id"]),
    "Plan": obj({"id": {"type": "integer"}, "name": {"type": "string"}, "currency": {"type": "string"},
                 "decimals": {"type": "integer"}, "provider_id": {"type": "integer"}, "peak": nullable(ref("Peak"))},
                ["id", "name", "currency"]),
    "RateIn": obj({"prefix": {"type": "string"}, "number": {"type": "string"}, "destination": {"type": "string"},
                   "rate": MONEY_IN, "rate_peak": MONEY_IN, "connect_fee": MONEY_IN, "t1": {"type": "integer"},
                   "t2": {"type": "integer"}, "effective_from": TIME, "effective_to": TIME}, ["rate"], extra=False),
    "RateDeck": obj({"mode": {"enum": ["merge", "replace"]}, "rates": {"type": "array", "items": ref("RateIn")}},
                    ["rates"]),
    "RateDeckResult": obj({"created": {"type": "integer"}, "updated": {"type": "integer"},
                           "deleted": {"type": "integer"}}, ["created", "updated", "deleted"]),
    "BanPlanCreate": obj({"name": {"type": "string"}, "prefixes": {"type": "array", "items": {"type": "string"}}},
                         ["name", "prefixes"]),
    "VoipPlanCreate": obj({"name": {"type": "string"},
                           "retail_plans": {"type": "array", "items": obj({
                               "id": {"type": "integer"}, "caller_prefix": {"type": "string"},
                               "priority": {"type": "integer"}}, ["id"])},
                           "carrier_plans": {"type": "array", "items": {"type": "integer"}},
                           "ban_plans": {"type": "array", "items": {"type": "integer"}},
                           "no_loss": {"type": "boolean"}}, ["name", "retail_plans"]),
    "Created": obj({"id": {"type": "integer"}}, ["id"]),
    "Destination": nullable(obj({"prefix": {"type": "string"}, "name": {"type": "string"}}, ["prefix", "name"])),
    "RateTerms": obj({"per_minute": MONEY, "connect_fee": MONEY, "t1": {"type": "integer"},
                      "t2": {"type": "integer"}}, ["per_minute", "connect_fee", "t1", "t2"]),
    "Route": obj({"provider": {"type": "string"}, "gateway": nullable({"type": "object"}),
                  "cost_per_minute": MONEY}, ["provider", "gateway", "cost_per_minute"]),
    "AuthorizeRequest": obj({"account": {"type": "string", "minLength": 1, "maxLength": 64},
                             "caller": {"type": "string", "maxLength": 64},
                             "callee": {"type": "string", "minLength": 1, "maxLength": 64},
                             "uuid": CALL_UUID, "src_ip": {"type": "string"}, "at": TIME},
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
                  "billsec": {"type": "integer", "minimum": 0}, "duration": {"type": "integer"},
                  "hangup_cause": {"oneOf": [{"type": "integer"}, {"type": "string"}]}, "src_ip": {"type": "string"},
                  "provider": {"type": "string"}, "switch": {"type": "string"}},
                 ["uuid", "account", "callee", "start", "billsec"]),
    "CdrBatch": obj({"cdrs": {"type": "array", "items": ref("CdrIn"), "maxItems": 10000}}, ["cdrs"]),
    "IngestResult": obj({"accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                         "rejected": {"type": "array", "items": obj({"index": {"type": "integer"},
                                                                     "error": {"type": "string"}},
                                                                    ["index", "error"])}},
                        ["accepted", "duplicates", "rejected"]),
    "Cdr": obj({"uuid": {"type": "string"}, "account": {"type": "string"}, "number": nullable({"type": "string"}),
                "start": TIME, "billsec": {"type": "integer"}, "billable_seconds": nullable({"type": "integer"}),
                "destination": ref("Destination"), "price": NULLABLE_MONEY, "currency": nullable({"type": "string"}),
                "cost": NULLABLE_MONEY, "cost_currency": nullable({"type": "string"}),
                "provider": nullable({"type": "string"}), "status": {"type": "string"},
                "invoice": nullable({"type": "string"}), "trace": nullable({"type": "object"})},
               ["uuid", "account", "number", "start", "billsec", "billable_seconds", "destination", "price",
                "currency", "cost", "cost_currency", "provider", "status", "invoice", "trace"]),
    "RerateRequest": obj({"from": TIME, "to": TIME, "account": {"type": "string"}}, ["from", "to"]),
    "RerateResult": obj({"examined": {"type": "integer"}, "changed": {"type": "integer"},
                         "reversed": {"type": "integer"}}, ["examined", "changed", "reversed"]),
    "InvoiceRunRequest": obj({"period": PERIOD, "account": {"type": "string", "maxLength": 64}}, ["period"]),
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
        "issued_at": TIME, "due_date": nullable({"type": "string", "format": "date"}),
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
    text = {400: "invalid input", 401: "missing or unknown API key", 403: "the key's role may not call this",
            404: "not found", 409: "conflict (duplicate, idempotency key reused)", 422: "a business rule said no"}
    return {str(code): {"description": text[code], "content": _json(ref("Error"))} for code in codes}


def op(summary, role, ok, ok_schema, body=None, params=(), errors=(400, 401, 403), content=None):
    operation = {"summary": summary, "description": f"Key role: {role}.", "parameters": list(params),
                 "responses": {str(ok): {"description": "success", "content": content or _json(ok_schema)},
                               **_errors(*errors)}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    return operation


def path_param(name, schema=None, example=None):
    return _param({"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}, example)


def query(name, schema=None, required=False, example=None):
    return _param({"name": name, "in": "query", "required": required, "schema": schema or {"type": "string"}},
                  example)


def _param(parameter, example):
    if example is not None:
        parameter["example"] = example
    return parameter


PAGE = [query("limit", {"type": "integer", "minimum": 1, "maximum": 500}), query("cursor")]
CSV = {"text/csv": {"schema": {"type": "string"}}}


def _deck_paths(kind):
    plan = path_param("plan_id", {"type": "integer", "minimum": 0, "maximum": 2 ** 31 - 1})
    return {
        f"/{kind}/{{plan_id}}/rates": {
            "post": op(f"Import a rate deck into a {kind[:-1]} (JSON, or text/csv with ?mode=)", "admin", 200,
                       ref("RateDeckResult"), body={**_json(ref("RateDeck")), **CSV},
                       params=[plan, query("mode", {"enum": ["merge", "replace"]})], errors=(400, 401, 403, 404)),
            "get": op(f"Export a {kind[:-1]}'s rate deck (?format=csv re-imports as is)", "admin", 200,
                      obj({"items": {"type": "array"}}), params=[plan, query("format", {"enum": ["json", "csv"]})],
                      errors=(401, 403, 404), content={**_json(obj({"items": {"type": "array"}})), **CSV}),
        }
    }


def document():
    code = path_param("code", example="1001")
    paths = {
        "/accounts": {"post": op("Create an account", "admin", 201, ref("Account"), _json(ref("AccountCreate")),
                                 errors=(400, 401, 403, 409, 422))},
        "/accounts/{code}": {
            "get": op("Read an account", "admin", 200, ref("Account"), params=[code], errors=(401, 403, 404)),
            "patch": op("Change an account (not its currency)", "admin", 200, ref("Account"),
                        _json(ref("AccountPatch")), params=[code], errors=(400, 401, 403, 404, 422)),
        },
        "/accounts/{code}/transactions": {
            "post": op("Post money: payment, return, credit, return_credit, adjustment", "admin", 201,
                       ref("TransactionReceipt"), _json(ref("TransactionCreate")),
                       params=[code, {"name": "Idempotency-Key", "in": "header", "required": True,
                                      "description": "Required (DESIGN §4). The same key with the same request "
                                                     "returns the first answer; with another request 409 "
                                                     "idempotency_conflict.",
                                      "schema": {"type": "string", "minLength": 1, "maxLength": 128}}],
                       errors=(400, 401, 403, 404, 409, 422)),
            "get": op("The account's ledger lines, newest first", "admin", 200, listing(ref("Transaction")),
                      params=[code, *PAGE], errors=(400, 401, 403, 404)),
        },
        "/providers": {"post": op("Create a provider with gateways", "admin", 201, ref("Provider"),
                                  _json(ref("ProviderCreate")), errors=(400, 401, 403, 409))},
        "/retail-plans": {"post": op("Create a retail plan", "admin", 201, ref("Plan"),
                                     _json(ref("RetailPlanCreate")), errors=(400, 401, 403, 409, 422))},
        "/carrier-plans": {"post": op("Create a carrier plan", "admin", 201, ref("Plan"),
                                      _json(ref("CarrierPlanCreate")), errors=(400, 401, 403, 409, 422))},
        **_deck_paths("retail-plans"), **_deck_paths("carrier-plans"),
        "/ban-plans": {"post": op("Create a ban plan", "admin", 201, ref("Created"), _json(ref("BanPlanCreate")),
                                  errors=(400, 401, 403, 409))},
        "/voip-plans": {"post": op("Create a VoIP plan", "admin", 201, ref("Created"), _json(ref("VoipPlanCreate")),
                                   errors=(400, 401, 403, 409, 422))},
        "/authorize": {"post": op("May this call start, for how long, over which routes (a uuid already "
                                  "authorized for another account, or whose call is over: 409)", "switch", 200,
                                  ref("Authorization"), _json(ref("AuthorizeRequest"), AUTHORIZE_EXAMPLE),
                                  errors=(400, 401, 403, 409))},
        "/cdrs": {
            "post": op("Send CDRs (JSON, or text/csv with ?format=native|asterisk|freeswitch; ?columns= says "
                       "which of uniqueid and userfield an Asterisk Master.csv logs, else each row's width and "
                       "content tell)", "switch", 200, ref("IngestResult"), {**_json(ref("CdrBatch"), CDRS_EXAMPLE),
                                                                            **CSV},
                       params=[query("format", {"enum": ["native", "asterisk", "freeswitch"]}),
                               query("timezone"),
                               query("columns", {"enum": ["uniqueid", "userfield", "uniqueid,userfield"]})]),
            "get": op("List CDRs", "switch", 200, listing(ref("Cdr")),
                      params=[query("account", example="1001"), query("from"), query("to"), query("status"),
                              *PAGE]),
        },
        "/cdrs/{uuid}": {"get": op("One CDR with its trace", "switch", 200, ref("Cdr"),
                                   params=[path_param("uuid", example="example-call-1")], errors=(401, 403, 404))},
        "/cdrs/rerate": {"post": op("Re-rate a period's CDRs not yet invoiced", "admin", 200, ref("RerateResult"),
                                    _json(ref("RerateRequest")), errors=(400, 401, 403, 404))},
        "/invoices/run": {"post": op("Close a month: issue the invoices of a period (again: nothing new)", "admin",
                                     200, ref("InvoiceRunResult"), _json(ref("InvoiceRunRequest")),
                                     errors=(400, 401, 403, 404, 422))},
        "/invoices": {"get": op("List invoices and credit notes, newest first", "admin", 200, listing(ref("Invoice")),
                                params=[query("account"), query("period", PERIOD), *PAGE])},
        "/invoices/{number}": {"get": op("One invoice or credit note", "admin", 200, ref("Invoice"),
                                         params=[path_param("number")], errors=(401, 403, 404))},
        "/invoices/{number}.pdf": {"get": op("The PDF stored at issue, byte for byte", "admin", 200, None,
                                             params=[path_param("number")], errors=(401, 403, 404),
                                             content={"application/pdf": {"schema": {"type": "string",
                                                                                     "format": "binary"}}})},
        "/rates/lookup": {"get": op("The price and routes of a number", "switch", 200, ref("Lookup"),
                                    params=[query("account", required=True, example="1001"),
                                            query("number", required=True, example="4915112345678"), query("at")],
                                    errors=(400, 401, 403, 404, 422))},
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
