"""Bad input never reaches a server error, and costs only its own record (DESIGN §7): times far
out, lone surrogates, oversized cursors, monstrous rates and endless calls, as an attacker or a
broken switch sends them. Each case once answered 500 or was charged; it runs on both databases."""
import base64
import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Cdr, RetailRate
from tests import factories

NIGHT = "2026-10-06T22:00:00Z"
#: Well-formed times outside what is billed: datetime's ends, offsets that carry them past, and
#: the first moments before and after the window.
FAR_TIMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59",
             "0001-01-01T00:00:00+23:59", "1999-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "2200-01-01"]
#: Inside the window, at its very edges: the year as written counts.
EDGE_TIMES = ["2000-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "2000-01-01T00:30:00+01:00", "2199-12-31T23:00-01:00",
              "2026-10-05T14:03:00+23:59", "2026-10-05"]
LONE_SURROGATE = "\ud800"


@pytest.fixture
def demo(app, runner):
    """The demo operator, whose account 1001 can call Germany: for answers that need a price."""
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


@pytest.fixture
def account_1001(app):
    """Only an account to address, for answers that need no price."""
    with app.app_context():
        factories.account(code="1001")
        db.session.commit()


def cdr(uuid, **extra):
    return {"uuid": uuid, "account": "1001", "caller": "4930123456", "callee": "4915112345678", "start": NIGHT,
            "answer": NIGHT, "end": "2026-10-06T22:10:00Z", "billsec": 60, **extra}


def raw_json(api, method, path, body):
    """`body` as JSON text, lone surrogates escaped as `\\ud800` exactly as a client would send them."""
    return getattr(api, method)(path, data=json.dumps(body), headers={"Content-Type": "application/json"})


def stored(app):
    with app.app_context():
        return set(db.session.scalars(select(Cdr.uuid)))


def refused(response, field):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert field in response.get_json()["error"]["fields"], response.get_json()
    return response.get_json()["error"]


# --- Times ------------------------------------------------------------------------------------


def _time_requests(at):
    quoted = at.replace("+", "%2B")
    return [
        ("post", "/authorize", {"account": "1001", "callee": "4915112345678", "at": at}, "at"),
        ("get", f"/rates/lookup?account=1001&number=4915112345678&at={quoted}", None, "at"),
        ("get", f"/cdrs?from={quoted}", None, "from"),
        ("get", f"/cdrs?to={quoted}", None, "to"),
        ("post", "/cdrs/rerate", {"from": at, "to": "2026-11-01T00:00:00Z"}, "from"),
        ("post", "/cdrs/rerate", {"from": "2026-10-01T00:00:00Z", "to": at}, "to"),
    ]


@pytest.mark.parametrize("method, path, body, field",
                         [request for at in FAR_TIMES for request in _time_requests(at)])
def test_a_time_outside_the_billed_window_is_a_400_naming_it(api, method, path, body, field):
    response = getattr(api, method)(path, **({} if body is None else {"json": body}))
    error = refused(response, field)
    assert "written in the years 2000 to 2199" in error["fields"][field]


@pytest.mark.parametrize("at", EDGE_TIMES)
def test_times_at_the_edges_of_the_window_are_answered(api, demo, at):
    assert api.post("/authorize", json={"account": "1001", "callee": "4915112345678", "at": at}).status_code == 200
    assert api.get("/rates/lookup", query_string={"account": "1001", "number": "4915112345678",
                                                  "at": at}).status_code == 200


@pytest.mark.parametrize("start", [at for at in FAR_TIMES if "T" in at])  # a CDR's times have a clock
def test_a_cdr_dated_outside_the_window_is_rejected_alone(app, switch_api, demo, start):
    batch = [cdr("before"), cdr("far", start=start, answer=None, end=None), cdr("after")]
    body = switch_api.post("/cdrs", json={"cdrs": batch}).get_json()
    assert body["accepted"] == 2 and [r["index"] for r in body["rejected"]] == [1]
    assert body["rejected"][0]["error"].startswith("start: must be written in the years 2000 to 2199")
    assert stored(app) == {"before", "after"}


@pytest.mark.parametrize("start, end", [
    ("2059-10-17T02:32:07.809Z", "2176-02-29T06:34:51.919380"),
    ("2000-01-01T00:00:00.000001+23:59", "2199-12-31T23:59:59.999999-23:59"),
])
def test_a_rerate_over_any_window_is_answered_and_audited(app, api, start, end):
    """Its audit event once named the period to the microsecond, past the 64 characters it holds."""
    response = api.post("/cdrs/rerate", json={"from": start, "to": end})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "rerate")).count("Z") == 2


# --- Endless calls ------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, message", [
    ({"billsec": 2**31 - 1, "end": None}, "billsec: must be at most 86400 s"),
    ({"billsec": 86401, "end": None}, "billsec: must be at most 86400 s"),
    ({"billsec": "86401", "end": None}, "billsec: must be at most 86400 s"),
    ({"duration": 86401}, "duration: must be at most 86400 s"),
])
def test_a_cdr_longer_than_max_cdr_seconds_is_rejected_alone_and_charges_nothing(app, switch_api, demo, changes,
                                                                                 message):
    batch = [cdr("before"), cdr("endless", **changes), cdr("after")]
    body = switch_api.post("/cdrs", json={"cdrs": batch}).get_json()
    assert body["accepted"] == 2 and [r["index"] for r in body["rejected"]] == [1]
    assert message in body["rejected"][0]["error"]
    assert stored(app) == {"before", "after"}


def test_a_day_long_call_is_taken_and_the_limit_follows_max_cdr_seconds(app, switch_api, demo):
    assert switch_api.post("/cdrs", json={"cdrs": [cdr("day", billsec=86400, end=None)]}).get_json()["accepted"] == 1
    app.config["MAX_CDR_SECONDS"] = 3600
    text = "uuid,account,callee,start,billsec\nhour,1001,4915112345678,2026-10-06T22:00:00Z,3601\n"
    body = switch_api.post("/cdrs?format=native", data=text, headers={"Content-Type": "text/csv"}).get_json()
    assert body["accepted"] == 0 and "billsec: must be at most 3600 s" in body["rejected"][0]["error"]


# --- Lone surrogates (PostgreSQL's UTF-8 refuses them) ------------------------------------------


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "/authorize", {"account": "1001" + LONE_SURROGATE, "callee": "4915112345678"}, "account"),
    ("post", "/authorize", {"account": "1001", "callee": "4915112345678", "caller": LONE_SURROGATE}, "caller"),
    ("post", "/authorize", {"account": "1001", "callee": "4915112345678", "uuid": "c-\udfff"}, "uuid"),
    ("post", "/authorize", {"account": "1001", "callee": "4915112345678", "src_ip": LONE_SURROGATE}, "src_ip"),
    ("post", "/accounts", {"code": "x" + LONE_SURROGATE, "name": "N", "email": "n@example.com", "currency": "EUR",
                           "billing": "prepaid"}, "code"),
    ("post", "/accounts", {"code": "2001", "name": "N", "email": "n@example.com", "currency": "EUR",
                           "billing": "prepaid", "profile": {"city": LONE_SURROGATE}}, "profile.city"),
    ("patch", "/accounts/1001", {"name": "Acme " + LONE_SURROGATE}, "name"),
    ("post", "/accounts/1001/transactions", {"type": "payment", "amount": "1", "description": LONE_SURROGATE},
     "description"),
    ("post", "/providers", {"name": "P" + LONE_SURROGATE, "gateways": [{"name": "g", "host": "h"}]}, "name"),
    ("post", "/providers", {"name": "P", "gateways": [{"name": "g", "host": LONE_SURROGATE}]}, "gateways[0].host"),
    ("post", "/retail-plans", {"name": "R", "currency": "EUR", "peak": {
        "timezone": LONE_SURROGATE, "weekdays": [0], "start": "08:00", "end": "19:00"}}, "peak.timezone"),
    ("post", "/ban-plans", {"name": "B" + LONE_SURROGATE, "prefixes": ["1900"]}, "name"),
    ("post", "/voip-plans", {"name": LONE_SURROGATE, "retail_plans": [{"id": 1}]}, "name"),
    ("post", "/cdrs/rerate", {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z",
                              "account": LONE_SURROGATE}, "account"),
    ("post", "/invoices/run", {"period": "2026-10", "account": LONE_SURROGATE}, "account"),
])
def test_a_lone_surrogate_in_any_string_is_a_400_for_its_field(api, account_1001, method, path, body, field):
    refused(raw_json(api, method, path, body), field)


def test_a_field_the_api_does_not_know_is_ignored_whatever_it_holds(api):
    """The document allows fields it does not name: one holding a NUL or a lone surrogate is never
    stored, so it costs the request nothing."""
    body = {"name": "Ban", "prefixes": ["1900"], "note": {"deep": ["\x00", LONE_SURROGATE]}, LONE_SURROGATE: 1}
    assert raw_json(api, "post", "/ban-plans", body).status_code == 201


@pytest.mark.parametrize("name", ["uuid", "account", "caller", "callee", "start", "billsec", "hangup_cause",
                                  "src_ip", "provider", "switch"])
def test_a_lone_surrogate_in_a_cdr_rejects_that_cdr_alone(app, switch_api, demo, name):
    odd = {**cdr("odd"), name: "1" + LONE_SURROGATE}
    body = raw_json(switch_api, "post", "/cdrs", {"cdrs": [cdr("before"), odd, cdr("after")]}).get_json()
    assert body["accepted"] == 2 and [r["index"] for r in body["rejected"]] == [1]
    assert body["rejected"][0]["error"].startswith(f"{name}: ")
    assert stored(app) == {"before", "after"}


# --- Cursors --------------------------------------------------------------------------------------


def _b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("path", ["/cdrs", "/accounts/1001/transactions", "/invoices"])
@pytest.mark.parametrize("cursor", ["-5", "1e3", "٣", "12a", "", "%FF%FE", "1&cursor=2", _b64("12")])
def test_a_cursor_this_api_did_not_give_is_a_400(api, account_1001, path, cursor):
    refused(api.get(f"{path}?cursor={cursor}"), "cursor")


@pytest.mark.parametrize("path", ["/cdrs", "/accounts/1001/transactions", "/invoices"])
@pytest.mark.parametrize("cursor", [str(2**31 - 1), str(2**31), "99999999999999999999999", "9" * 5000, "0"])
def test_a_cursor_at_or_past_every_id_is_answered(api, account_1001, path, cursor):
    """Ids are 32-bit integers; a cursor past them all bounds nothing (it once overflowed)."""
    assert api.get(f"{path}?cursor={cursor}").status_code == 200


# --- Rate decks ------------------------------------------------------------------------------------

MONSTROUS_RATES = ["1e400", "1E+999999999", "inf", "-Infinity", "nan", "-0", "-0.0", "-1", "1" * 5000,
                   "0." + "1" * 5000, "100000000", "0x10", "1_000"]


@pytest.fixture
def plan(api):
    response = api.post("/retail-plans", json={"name": "Retail", "currency": "EUR"})
    assert response.status_code == 201
    return response.get_json()["id"]


def deck_refused(app, response, line, column="rate"):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "invalid_rates" and list(error["fields"]["lines"]) == [line]
    assert error["fields"]["lines"][line][0].startswith(f"{column}: ")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RetailRate)) == 0


@pytest.mark.parametrize("rate", MONSTROUS_RATES)
def test_a_monstrous_rate_in_a_json_deck_names_its_line_and_refuses_the_deck(app, api, plan, rate):
    rates = [{"prefix": "44", "rate": "0.02"}, {"prefix": "49", "rate": rate}]
    deck_refused(app, api.post(f"/retail-plans/{plan}/rates", json={"rates": rates}), "1")


@pytest.mark.parametrize("rate", ["1e400", "1E+999999999", "1" * 400])
def test_a_monstrous_json_number_names_its_line(app, api, plan, rate):
    text = '{"rates": [{"prefix": "44", "rate": "0.02"}, {"prefix": "49", "rate": ' + rate + "}]}"
    response = api.post(f"/retail-plans/{plan}/rates", data=text, headers={"Content-Type": "application/json"})
    deck_refused(app, response, "1")


@pytest.mark.parametrize("rate", MONSTROUS_RATES)
@pytest.mark.parametrize("column", ["rate", "rate_peak", "connect_fee"])
def test_a_monstrous_rate_in_a_csv_deck_names_its_line_and_refuses_the_deck(app, api, plan, rate, column):
    cells = {"rate": "0.02", "rate_peak": "0.03", "connect_fee": "0", column: rate}
    text = "prefix,rate,rate_peak,connect_fee\n44,0.02,0.03,0\n49,{rate},{rate_peak},{connect_fee}\n".format(**cells)
    response = api.post(f"/retail-plans/{plan}/rates", data=text, headers={"Content-Type": "text/csv"})
    deck_refused(app, response, "3", column)


@pytest.mark.parametrize("when", FAR_TIMES)
@pytest.mark.parametrize("column", ["effective_from", "effective_to"])
def test_a_deck_effective_outside_the_window_names_its_line(app, api, plan, when, column):
    rates = [{"prefix": "44", "rate": "0.02"}, {"prefix": "49", "rate": "0.02", column: when}]
    deck_refused(app, api.post(f"/retail-plans/{plan}/rates", json={"rates": rates}), "1", column)


@pytest.mark.parametrize("field", ["destination", "prefix", "rate", "t1", "effective_from"])
def test_a_lone_surrogate_in_a_deck_names_its_line(app, api, plan, field):
    rates = [{"prefix": "44", "rate": "0.02"}, {"prefix": "49", "rate": "0.02", field: "1" + LONE_SURROGATE}]
    deck_refused(app, raw_json(api, "post", f"/retail-plans/{plan}/rates", {"rates": rates}), "1", field)


# --- Money fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1E+999999999", "-1E+999999999", "1e400", "Infinity", "1" * 5000])
@pytest.mark.parametrize("field", ["credit_limit", "tax_rate"])
def test_a_monstrous_amount_in_an_account_is_a_400_naming_it(api, account_1001, field, value):
    refused(api.patch("/accounts/1001", json={field: value}), field)
