"""Tariff endpoints: plans, decks (JSON and CSV, merge or replace, all or nothing), exports."""
import csv
import io

import pytest

from portal.extensions import db
from portal.models import RetailRate


@pytest.fixture
def provider(api):
    response = api.post("/providers", json={"name": "Atlas", "priority": 1, "gateways": [
        {"name": "lon", "host": "sip.atlas.example", "port": 5060, "prefix": "99#"}]})
    assert response.status_code == 201
    return response.get_json()


@pytest.fixture
def retail(api):
    response = api.post("/retail-plans", json={"name": "Retail EUR", "currency": "EUR", "decimals": 4, "peak": {
        "timezone": "Europe/London", "weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "19:00",
        "holidays": "GB", "extra_holidays": ["2026-12-24"]}})
    assert response.status_code == 201
    return response.get_json()


DECK = {"mode": "merge", "rates": [
    {"prefix": "44", "destination": "United Kingdom", "rate": "0.02", "rate_peak": "0.03", "t1": 30, "t2": 6},
    {"prefix": "447", "destination": "UK Mobile", "rate": 0.06},
    {"number": "442071234567", "destination": "Our office", "rate": "0", "connect_fee": "0"},
]}


def test_provider_with_gateways(provider):
    assert provider["gateways"][0] == {"id": provider["gateways"][0]["id"], "name": "lon",
                                       "host": "sip.atlas.example", "port": 5060, "prefix": "99#"}


@pytest.mark.parametrize("body, field", [
    ({"name": "X", "gateways": []}, "gateways"),
    ({"name": "X", "gateways": [{"name": "g"}]}, "gateways[0].host"),
    ({"name": "X", "gateways": [{"name": "g", "host": "h", "port": 70000}]}, "gateways[0].port"),
    ({"gateways": [{"name": "g", "host": "h"}]}, "name"),
])
def test_bad_provider_fields_are_named(api, body, field):
    response = api.post("/providers", json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]


def test_retail_plan_keeps_its_peak_schedule(retail):
    assert retail["peak"] == {"timezone": "Europe/London", "weekdays": [0, 1, 2, 3, 4], "start": "08:00",
                              "end": "19:00", "holidays": "GB", "extra_holidays": ["2026-12-24"]}


@pytest.mark.parametrize("peak, field", [
    ({"timezone": "Mars/Base", "weekdays": [0], "start": "08:00", "end": "19:00"}, "peak.timezone"),
    ({"timezone": "UTC", "weekdays": [7], "start": "08:00", "end": "19:00"}, "peak.weekdays"),
    ({"timezone": "UTC", "weekdays": [0], "start": "8am", "end": "19:00"}, "peak.start"),
    ({"timezone": "UTC", "weekdays": [0], "start": "19:00", "end": "25:00"}, "peak.end"),  # 19:00-08:00 runs overnight
    ({"timezone": "UTC", "weekdays": [0], "start": "08:00", "end": "19:00", "holidays": "XX"}, "peak.holidays"),
])
def test_bad_peak_schedules_are_named(api, peak, field):
    response = api.post("/retail-plans", json={"name": "P", "currency": "EUR", "peak": peak})
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]


def test_duplicate_plan_name_is_a_conflict(api, retail):
    response = api.post("/retail-plans", json={"name": "Retail EUR", "currency": "EUR"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "name_taken")


def test_json_deck_merge_then_update(api, retail):
    assert api.post(f"/retail-plans/{retail['id']}/rates", json=DECK).get_json() == {
        "created": 3, "updated": 0, "deleted": 0}
    again = {"mode": "merge", "rates": [{"prefix": "44", "rate": "0.025"}, {"prefix": "49", "rate": "0.03"}]}
    assert api.post(f"/retail-plans/{retail['id']}/rates", json=again).get_json() == {
        "created": 1, "updated": 1, "deleted": 0}


def test_replace_makes_the_deck_exactly_the_rows(api, retail):
    api.post(f"/retail-plans/{retail['id']}/rates", json=DECK)
    response = api.post(f"/retail-plans/{retail['id']}/rates", json={"mode": "replace", "rates": [
        {"prefix": "33", "rate": "0.02"}]})
    assert response.get_json() == {"created": 1, "updated": 0, "deleted": 3}
    items = api.get(f"/retail-plans/{retail['id']}/rates").get_json()["items"]
    assert [item["prefix"] for item in items] == ["33"]


def test_bad_deck_names_every_bad_line_and_imports_nothing(app, api, retail):
    bad = {"mode": "merge", "rates": [
        {"prefix": "44", "rate": "0.02"},
        {"prefix": "4x", "rate": "0.02"},
        {"prefix": "45", "rate": "-1"},
        {"prefix": "46", "number": "46123", "rate": "1"},
        {"prefix": "47", "rate": "0.1", "t2": 0},
        {"prefix": "48", "rate": "0.1234567"},
        {"prefix": "44", "rate": "0.03"},
        {"prefix": "49", "rate": "0.1", "effective_from": "2027-01-01", "effective_to": "2026-01-01"},
    ]}
    response = api.post(f"/retail-plans/{retail['id']}/rates", json=bad)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_rates"
    assert sorted(error["fields"]["lines"], key=int) == ["1", "2", "3", "4", "5", "6", "7"]
    assert "duplicate of line 0" in error["fields"]["lines"]["6"][0]
    with app.app_context():
        assert db.session.query(RetailRate).count() == 0


def test_csv_deck_round_trips_through_the_export(api, retail, provider):
    api.post(f"/retail-plans/{retail['id']}/rates", json={"mode": "merge", "rates": DECK["rates"] + [
        {"prefix": "33", "rate": "0.021", "effective_from": "2027-01-01T00:00:00Z"},
        {"prefix": "33", "rate": "0.02", "effective_to": "2027-01-01T00:00:00Z"}]})
    exported = api.get(f"/retail-plans/{retail['id']}/rates?format=csv")
    assert exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.splitlines()[0] == "prefix,number,destination,rate,rate_peak,connect_fee,t1,t2,effective_from,effective_to"
    carrier = api.post("/carrier-plans", json={"name": "Atlas EUR", "currency": "EUR",
                                               "provider_id": provider["id"]}).get_json()
    imported = api.post(f"/carrier-plans/{carrier['id']}/rates?mode=replace", data=text,
                        headers={"Content-Type": "text/csv"})
    assert imported.get_json() == {"created": 5, "updated": 0, "deleted": 0}
    assert api.get(f"/carrier-plans/{carrier['id']}/rates?format=csv").get_data(as_text=True) == text


def test_a_deck_exported_and_replaced_into_its_own_plan_comes_back_unchanged(api, retail):
    api.post(f"/retail-plans/{retail['id']}/rates", json={"mode": "merge", "rates": DECK["rates"] + [
        {"prefix": "387", "destination": 'Bosnia, "Mobile"', "rate": "0.1", "connect_fee": "0.015", "t1": 60},
        {"prefix": "33", "rate": "0.021", "effective_from": "2027-01-01T00:00:00Z"},
        {"prefix": "33", "rate": "0.02", "effective_to": "2027-01-01T00:00:00Z"}]})
    as_json = api.get(f"/retail-plans/{retail['id']}/rates").get_json()
    as_csv = api.get(f"/retail-plans/{retail['id']}/rates?format=csv").get_data(as_text=True)
    # replace deletes the deck and inserts the file's rows: the same six rows, nothing updated.
    assert post_csv(api, retail, as_csv, mode="replace").get_json() == {"created": 6, "updated": 0, "deleted": 6}
    assert api.get(f"/retail-plans/{retail['id']}/rates").get_json() == as_json
    assert api.get(f"/retail-plans/{retail['id']}/rates?format=csv").get_data(as_text=True) == as_csv


def test_bad_csv_lines_are_named_by_line_number(api, retail):
    text = "prefix,rate,t1\n44,0.02,30\n4x,0.02,1\n45,abc,1\n"
    response = api.post(f"/retail-plans/{retail['id']}/rates", data=text, headers={"Content-Type": "text/csv"})
    assert response.status_code == 400
    assert sorted(response.get_json()["error"]["fields"]["lines"]) == ["3", "4"]


def post_csv(api, plan, text, mode="merge"):
    return api.post(f"/retail-plans/{plan['id']}/rates?mode={mode}", data=text, headers={"Content-Type": "text/csv"})


def exported(api, plan):
    """The plan's deck, read back from its CSV export, by prefix."""
    text = api.get(f"/retail-plans/{plan['id']}/rates?format=csv").get_data(as_text=True)
    return {row["prefix"]: row for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize("text, line, message", [
    ("prefix,rate,price\n44,1,2\n", "1", "unknown column(s) 'price'; the columns are prefix, number,"),
    ("prefix,rate,rate\n44,0.02,0.03\n", "1", "column(s) named twice: 'rate'"),
    ("prefix,destination\n44,UK\n", "1", "the header must name the columns, rate among them"),
    ("", "1", "the header must name the columns"),
    ("prefix,rate\n44,0.02\n45,0.02,EXTRA\n", "3", "3 cell(s), the header names 2 column(s)"),
    ("prefix,rate,t1\n44,0.02,30\n45,0.02\n", "3", "2 cell(s), the header names 3 column(s)"),
    ("prefix,rate,destination\n44,0.02,UK\n45,0.02," + "x" * 140_000 + "\n46,0.02,DK\n", "3",
     "unreadable CSV: field larger than field limit"),
    ("prefix,rate,destination\n44,0.02,U\x00K\n", "2", "destination: no control characters"),
])
def test_csv_deck_that_does_not_fit_its_header_is_refused_naming_the_line(app, api, retail, text, line, message):
    response = post_csv(api, retail, text)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "invalid_rates"
    assert any(message in problem for problem in error["fields"]["lines"][line]), error["fields"]["lines"]
    with app.app_context():
        assert db.session.query(RetailRate).count() == 0


def test_csv_header_is_read_as_a_spreadsheet_writes_it(api, retail):
    assert post_csv(api, retail, "\ufeffPrefix, Rate \n44,0.02\n").get_json() == {
        "created": 1, "updated": 0, "deleted": 0}


def test_json_rate_with_an_unknown_field_is_refused(api, retail):
    response = api.post(f"/retail-plans/{retail['id']}/rates", json={"rates": [
        {"prefix": "44", "rate": "0.02", "connectfee": "0.01"}]})
    assert response.status_code == 400
    assert "unknown field(s) 'connectfee'" in response.get_json()["error"]["fields"]["lines"]["0"][0]


def test_t1_and_t2_default_to_one_second(api, retail):
    post_csv(api, retail, "prefix,rate\n49,0.03\n")
    row = exported(api, retail)["49"]
    assert (row["t1"], row["t2"], row["connect_fee"], row["rate_peak"]) == ("1", "1", "0.000000", "")


@pytest.mark.parametrize("merge", [
    {"data": "prefix,rate\n44,0.025\n49,0.03\n", "headers": {"Content-Type": "text/csv"}},
    {"json": {"mode": "merge", "rates": [{"prefix": "44", "rate": "0.025"}, {"prefix": "49", "rate": 0.03}]}},
])
def test_merge_changes_only_the_columns_it_names(api, retail, merge):
    api.post(f"/retail-plans/{retail['id']}/rates", json=DECK)
    response = api.post(f"/retail-plans/{retail['id']}/rates", **merge)
    assert response.get_json() == {"created": 1, "updated": 1, "deleted": 0}
    deck = exported(api, retail)
    assert {k: deck["44"][k] for k in ("destination", "rate", "rate_peak", "connect_fee", "t1", "t2")} == {
        "destination": "United Kingdom", "rate": "0.025000", "rate_peak": "0.030000", "connect_fee": "0.000000",
        "t1": "30", "t2": "6"}
    assert {k: deck["49"][k] for k in ("destination", "rate_peak", "t1", "t2")} == {
        "destination": "", "rate_peak": "", "t1": "1", "t2": "1"}


def test_json_merge_rows_may_each_name_other_columns(api, retail):
    api.post(f"/retail-plans/{retail['id']}/rates", json=DECK)
    response = api.post(f"/retail-plans/{retail['id']}/rates", json={"rates": [
        {"prefix": "44", "rate": "0.025"}, {"prefix": "447", "rate": "0.05", "t1": 10, "destination": "Mobile"}]})
    assert response.get_json() == {"created": 0, "updated": 2, "deleted": 0}
    deck = exported(api, retail)
    assert [deck["44"][k] for k in ("rate", "t1", "t2", "destination")] == ["0.025000", "30", "6", "United Kingdom"]
    assert [deck["447"][k] for k in ("rate", "t1", "t2", "destination")] == ["0.050000", "10", "1", "Mobile"]


def test_merge_sets_a_named_column_even_to_its_default(api, retail):
    api.post(f"/retail-plans/{retail['id']}/rates", json=DECK)
    post_csv(api, retail, "prefix,rate,rate_peak,t2\n44,0.02,,1\n")
    row = exported(api, retail)["44"]
    assert (row["rate_peak"], row["t1"], row["t2"], row["destination"]) == ("", "30", "1", "United Kingdom")


def test_replace_gives_every_column_it_leaves_out_its_default(api, retail):
    api.post(f"/retail-plans/{retail['id']}/rates", json=DECK)
    assert post_csv(api, retail, "prefix,rate\n44,0.025\n", mode="replace").get_json() == {
        "created": 1, "updated": 0, "deleted": 3}
    row = exported(api, retail)["44"]
    assert (row["destination"], row["rate_peak"], row["t1"], row["t2"]) == ("", "", "1", "1")


def test_json_export_sends_t1_and_t2_as_integers(api, retail):
    api.post(f"/retail-plans/{retail['id']}/rates", json=DECK)
    items = api.get(f"/retail-plans/{retail['id']}/rates").get_json()["items"]
    assert {(item["prefix"], item["t1"], item["t2"]) for item in items if item["prefix"]} == {
        ("44", 30, 6), ("447", 1, 1)}
    assert next(item["rate"] for item in items if item["prefix"] == "44") == "0.020000"  # money stays a string


def test_deck_for_unknown_plan_is_404(api):
    assert api.post("/retail-plans/999/rates", json=DECK).status_code == 404
    assert api.get("/carrier-plans/999/rates").status_code == 404


def test_ban_and_voip_plans(api, retail, provider):
    carrier = api.post("/carrier-plans", json={"name": "C", "currency": "EUR", "provider_id": provider["id"]})
    ban = api.post("/ban-plans", json={"name": "Premium", "prefixes": ["1900", "44909"]})
    assert ban.status_code == 201 and ban.get_json()["prefixes"] == ["1900", "44909"]
    voip = api.post("/voip-plans", json={
        "name": "Business", "retail_plans": [{"id": retail["id"], "caller_prefix": "44", "priority": 1}],
        "carrier_plans": [carrier.get_json()["id"]], "ban_plans": [ban.get_json()["id"]], "no_loss": True})
    assert voip.status_code == 201
    assert voip.get_json()["currency"] == "EUR" and voip.get_json()["no_loss"] is True


def test_voip_plan_with_retail_plans_in_two_currencies_is_refused(api, retail):
    usd = api.post("/retail-plans", json={"name": "USD", "currency": "USD"}).get_json()
    response = api.post("/voip-plans", json={"name": "Mixed", "retail_plans": [{"id": retail["id"]},
                                                                               {"id": usd["id"]}]})
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "currency_mismatch")


def test_voip_plan_with_unknown_ids_is_refused(api, retail):
    response = api.post("/voip-plans", json={"name": "V", "retail_plans": [{"id": retail["id"]}],
                                             "carrier_plans": [4242]})
    assert response.status_code == 422 and "carrier_plans" in response.get_json()["error"]["fields"]


def test_switch_keys_may_not_change_tariffs(switch_api):
    assert switch_api.post("/providers", json={}).status_code == 403
