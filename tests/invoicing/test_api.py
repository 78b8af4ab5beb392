"""The invoicing API (DESIGN §5): run a month, list, read, download; admin keys only."""
from decimal import Decimal

import pytest

from portal.models.types import utcnow
from tests.api.conftest import Api, _key
from tests.invoicing.conftest import UK_FIXED, UK_MOBILE, at

YEAR = utcnow().year


@pytest.fixture
def api(app, client):
    return Api(client, _key(app, "admin"))


@pytest.fixture
def two_accounts(make_account, make_calls):
    make_account("ACME")
    make_account("BOB", billing="postpaid", top_up="0")
    make_calls("ACME", [(at("2025-10-05 10:00"), UK_FIXED, 60), (at("2025-10-06 10:00"), UK_MOBILE, 120)])
    make_calls("BOB", [(at("2025-10-05 10:00"), UK_MOBILE, 60), (at("2025-09-28 10:00"), UK_MOBILE, 60)])


def test_running_a_period_issues_invoices_once(api, two_accounts):
    first = api.post("/invoices/run", json={"period": "2025-10"})
    assert first.status_code == 200
    assert first.get_json() == {"invoices": [f"INV-{YEAR}-000001", f"INV-{YEAR}-000002"], "existing": [],
                                "failed": []}
    again = api.post("/invoices/run", json={"period": "2025-10"}).get_json()
    assert again == {"invoices": [], "existing": [f"INV-{YEAR}-000001", f"INV-{YEAR}-000002"], "failed": []}
    assert api.post("/invoices/run", json={"period": "2025-10", "account": "BOB"}).get_json()["invoices"] == []


def test_an_invoice_reads_back_as_documented(api, two_accounts):
    api.post("/invoices/run", json={"period": "2025-10", "account": "BOB"})
    body = api.get(f"/invoices/INV-{YEAR}-000001").get_json()
    assert {key: body[key] for key in ("number", "kind", "account", "period", "currency", "status", "subtotal",
                                       "tax", "total", "corrects")} == {
        "number": f"INV-{YEAR}-000001", "kind": "invoice", "account": "BOB", "period": "2025-10", "currency": "EUR",
        "status": "issued", "subtotal": "0.12", "tax": "0.02", "total": "0.14", "corrects": None}
    # The September call came late into October's invoice, on its own line.
    assert body["lines"] == [
        {"description": "United Kingdom Mobile (+447): 1 call", "quantity": "1.00", "unit": "min",
         "amount": "0.06"},
        {"description": "United Kingdom Mobile (+447): 1 call, made before October 2025", "quantity": "1.00",
         "unit": "min", "amount": "0.06"}]
    assert body["due_date"] is not None and body["issued_at"].startswith(str(YEAR))
    assert Decimal(body["subtotal"]) + Decimal(body["tax"]) == Decimal(body["total"])


def test_listing_filters_by_account_and_period_and_pages(api, two_accounts):
    api.post("/invoices/run", json={"period": "2025-10"})
    everything = api.get("/invoices").get_json()
    assert [item["number"] for item in everything["items"]] == [f"INV-{YEAR}-000002", f"INV-{YEAR}-000001"]
    assert [item["account"] for item in api.get("/invoices?account=ACME").get_json()["items"]] == ["ACME"]
    assert api.get("/invoices?period=2025-09").get_json() == {"items": [], "next_cursor": None}
    page = api.get("/invoices?limit=1").get_json()
    rest = api.get(f"/invoices?limit=1&cursor={page['next_cursor']}").get_json()
    assert [page["items"][0]["number"], rest["items"][0]["number"]] == [f"INV-{YEAR}-000002",
                                                                        f"INV-{YEAR}-000001"]


@pytest.mark.parametrize("body, status, code", [
    ({"period": "2025-13"}, 400, "invalid_period"),
    ({}, 400, "invalid_input"),
    ({"period": "2025-10", "account": "NOBODY"}, 404, "not_found"),
    ({"period": "2199-01"}, 422, "period_not_over"),
])
def test_bad_runs_are_refused_with_a_reason(api, body, status, code):
    response = api.post("/invoices/run", json=body)
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_unknown_invoices_are_404(api):
    for path in ("/invoices/INV-2025-999999", "/invoices/INV-2025-999999.pdf"):
        response = api.get(path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_switch_keys_may_not_touch_invoices(app, client, two_accounts):
    switch = Api(client, _key(app, "switch"))
    for response in (switch.post("/invoices/run", json={"period": "2025-10"}), switch.get("/invoices"),
                     switch.get(f"/invoices/INV-{YEAR}-000001.pdf")):
        assert response.status_code == 403
    assert Api(client, None).get("/invoices").status_code == 401
