"""Every CSV the product writes opens in a spreadsheet as data: text that a switch, an integration or
an admin sent as a formula arrives as text (a leading '), numbers keep their sign, and a rate deck
downloaded and imported again is the same deck."""
import csv
import io
import re
import uuid
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.csv_cells import escape_cell, unescape_cell
from tests.api.conftest import api, switch_api  # noqa: F401  (fixtures)

FORMULA = '=HYPERLINK("http://x")'
#: A call's uuid may not hold a '/' (it is read back at /cdrs/{uuid}).
FORMULA_WITHOUT_SLASH = '=HYPERLINK("x")'
NIGHT = "2026-10-06T22:00:00Z"
GERMAN_MOBILE = "4915112345678"


@pytest.fixture
def demo(runner):
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


@pytest.fixture
def admin_client(client, auth, demo):
    from portal.demo import ADMIN

    assert auth.login(ADMIN[1], ADMIN[2]).status_code == 302
    return client


def cdr(account="1001", caller="4930123456", answer=NIGHT):
    return {"uuid": str(uuid.uuid4()), "account": account, "caller": caller, "callee": GERMAN_MOBILE,
            "start": answer, "answer": answer, "billsec": 60}


def money(admin_api, code, kind, description):
    response = admin_api.post(f"/accounts/{code}/transactions",
                              json={"type": kind, "amount": "5", "description": description},
                              headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.get_json()


def account_coded(admin_api, code):
    plan = admin_api.get("/accounts/1001").get_json()["voip_plan_id"]
    response = admin_api.post("/accounts", json={"code": code, "name": "Injected", "email": "i@example.com",
                                                 "currency": "EUR", "billing": "prepaid", "voip_plan_id": plan})
    assert response.status_code == 201, response.get_json()


def plant_call(ctx):
    assert ctx.switch_api.post("/cdrs", json={"cdrs": [cdr(caller=FORMULA)]}).get_json()["accepted"] == 1


def plant_hold(ctx):
    answer = ctx.switch_api.post("/authorize", json={"account": "1001", "caller": "4930123456",
                                                     "callee": GERMAN_MOBILE, "uuid": FORMULA_WITHOUT_SLASH})
    assert answer.get_json()["allowed"], answer.get_json()


def plant_invoice(ctx):
    account_coded(ctx.api, FORMULA)
    calls = {"cdrs": [cdr(account=FORMULA, answer="2025-10-06T22:00:00Z")]}
    assert ctx.switch_api.post("/cdrs", json=calls).get_json()["accepted"] == 1
    assert ctx.api.post("/invoices/run", json={"period": "2025-10", "account": FORMULA}).get_json()["invoices"]


def plant_api_key(ctx):
    result = ctx.runner.invoke(args=["api-key", "create", FORMULA, "--role", "switch"])
    assert result.exit_code == 0, result.output


def plant_deck_row(ctx):
    ctx.retail_plan = ctx.api.post("/retail-plans", json={"name": "Injected", "currency": "EUR"}).get_json()["id"]
    response = ctx.api.post(f"/retail-plans/{ctx.retail_plan}/rates", json={"rates": [
        {"prefix": "44", "destination": FORMULA, "rate": "0.05"}]})
    assert response.status_code == 200, response.get_json()


def admin_export(endpoint):
    def download(ctx):
        response = ctx.client.get(f"/admin/{endpoint}/export/csv/")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return response.get_data(as_text=True)
    return download


def deck_export(ctx):
    response = ctx.api.get(f"/retail-plans/{ctx.retail_plan}/rates?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return response.get_data(as_text=True)


#: (what is planted, where it is read back). Every CSV the product writes is one line here.
EXPORTS = {
    "admin calls: a caller from the switch": (plant_call, admin_export("cdr")),
    "admin holds: a call uuid from an authorization": (plant_hold, admin_export("hold")),
    "admin transactions: a payment's description": (
        lambda ctx: money(ctx.api, "1001", "payment", FORMULA), admin_export("ledgertransaction")),
    "admin credit events: a credit's description": (
        lambda ctx: money(ctx.api, "1002", "credit", FORMULA), admin_export("creditlimitevent")),
    "admin audit log: an account's code": (lambda ctx: account_coded(ctx.api, FORMULA), admin_export("auditevent")),
    "admin invoices: the account's code": (plant_invoice, admin_export("invoice")),
    "admin API keys: a key's name": (plant_api_key, admin_export("apikey")),
    "API rate deck: a destination": (plant_deck_row, deck_export),
}


def cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def formula_cells(text):
    """Cells a spreadsheet would run: those starting with = + - @ tab or CR, plain numbers aside."""
    return [cell for cell in cells(text)
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not re.fullmatch(r"[+-]?[\d.]+", cell)]


@pytest.mark.parametrize("plant, download", EXPORTS.values(), ids=EXPORTS.keys())
def test_formula_sent_in_is_exported_as_text(admin_client, api, switch_api, runner, plant, download):  # noqa: F811
    ctx = SimpleNamespace(client=admin_client, api=api, switch_api=switch_api, runner=runner)
    plant(ctx)
    text = download(ctx)
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells(text)), text
    assert formula_cells(text) == []


def test_numbers_in_an_admin_export_keep_their_sign(admin_client, api):  # noqa: F811
    money(api, "1001", "payment", "top-up")
    rows = csv.DictReader(io.StringIO(admin_export("posting")(SimpleNamespace(client=admin_client))))
    assert "-5.000000" in {row["Amount"] for row in rows}


DESTINATIONS = [FORMULA, "-Mobile", "+Premium", "@Home", "'=Quoted", "''-Twice", "'Plain quote",
                "Plain"]


def test_rate_deck_with_formula_like_destinations_round_trips_through_csv(api):  # noqa: F811
    plan = api.post("/retail-plans", json={"name": "Round trip", "currency": "EUR"}).get_json()["id"]
    rates = [{"prefix": f"4{n}", "destination": name, "rate": "0.05", "connect_fee": "0.01"}
             for n, name in enumerate(DESTINATIONS)]
    assert api.post(f"/retail-plans/{plan}/rates", json={"rates": rates}).status_code == 200
    as_json = api.get(f"/retail-plans/{plan}/rates").get_json()
    as_csv = api.get(f"/retail-plans/{plan}/rates?format=csv").get_data(as_text=True)
    assert formula_cells(as_csv) == []
    replaced = api.post(f"/retail-plans/{plan}/rates?mode=replace", data=as_csv,
                        headers={"Content-Type": "text/csv"})
    assert replaced.get_json() == {"created": len(DESTINATIONS), "updated": 0, "deleted": len(DESTINATIONS)}
    assert api.get(f"/retail-plans/{plan}/rates").get_json() == as_json
    assert sorted(row["destination"] for row in as_json["items"]) == sorted(DESTINATIONS)


@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+44 premium", "'+44 premium"),
    ("-Mobile", "'-Mobile"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("'=already quoted", "''=already quoted"),
    ("-0.05", "-0.05"),
    ("+441234567890", "+441234567890"),
    ("1E+2", "1E+2"),
    ("-", "'-"),
    ("'", "'"),
    ("United Kingdom", "United Kingdom"),
    ("", ""),
    (None, ""),
])
def test_a_cell_that_would_start_a_formula_gets_a_quote(value, cell):
    assert escape_cell(value) == cell


@given(st.text())
def test_unescape_gives_back_what_escape_was_given(text):
    assert unescape_cell(escape_cell(text)) == text
