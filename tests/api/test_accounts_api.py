"""POST/GET/PATCH /accounts and /accounts/{code}/transactions, exactly as DESIGN §5 says."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.api_keys import revoke_api_key
from portal.extensions import db
from portal.ledger import operations
from portal.models import Account, ApiKey, Cdr, CreditLimitEvent, IdempotencyRecord, User
from portal.models.types import utcnow
from tests import factories


def new_account(api, plans, **fields):
    body = {"code": "5001", "name": "Acme", "email": "billing@acme.example", "currency": "EUR",
            "billing": "postpaid", "credit_limit": "100", "voip_plan_id": plans["EUR"]}
    body.update(fields)
    return api.post("/accounts", json=body)


def pay(api, code, kind, amount, key=None, description=None):
    """A money request; each carries an Idempotency-Key (a fresh one unless `key` is given)."""
    body = {"type": kind, "amount": amount}
    if description is not None:
        body["description"] = description
    key = key or f"test-{factories.next_number()}"
    return api.post(f"/accounts/{code}/transactions", json=body, headers={"Idempotency-Key": key})


def idempotency_records(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(IdempotencyRecord))


def test_create_account_answers_201_with_money_as_strings(api, plans):
    response = new_account(api, plans, profile={"city": "Leeds", "company_name": "Acme Ltd"},
                           dial_rules=[{"match": "0", "replace": "44"}], tax_rate=20)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("code", "currency", "billing", "balance", "credit_limit", "available",
                                 "voip_plan_id", "status")} == {
        "code": "5001", "currency": "EUR", "billing": "postpaid", "balance": "0.000000",
        "credit_limit": "100.000000", "available": "100.000000", "voip_plan_id": plans["EUR"], "status": "active"}
    assert body["profile"]["city"] == "Leeds" and body["dial_rules"] == [{"match": "0", "replace": "44"}]
    assert api.get("/accounts/5001").get_json() == body


def test_create_account_with_password_lets_the_customer_sign_in(api, plans, auth):
    assert new_account(api, plans, password="customer-secret-1").status_code == 201
    assert auth.login("billing@acme.example", "customer-secret-1").headers["Location"] == "/"


@pytest.mark.parametrize("fields, bad", [
    ({"code": ""}, "code"),
    ({"billing": "barter"}, "billing"),
    ({"credit_limit": "-5"}, "credit_limit"),
    ({"credit_limit": "lots"}, "credit_limit"),
    ({"billing": "postpaid", "credit_limit": "1_000"}, "credit_limit"),  # Python's Decimal would take it
    ({"tax_rate": "２０"}, "tax_rate"),  # full-width digits
    ({"email": "not-an-address"}, "email"),
    ({"voip_plan_id": "one"}, "voip_plan_id"),
    ({"tax_rate": 120}, "tax_rate"),
    ({"dial_rules": [{"match": 0}]}, "dial_rules"),
    ({"profile": {"shoe_size": "44"}}, "profile"),
    ({"password": "short"}, "password"),
])
def test_invalid_account_fields_are_named(api, plans, fields, bad):
    response = new_account(api, plans, **fields)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and bad in error["fields"]


def test_every_bad_field_is_named_at_once(api):
    response = api.post("/accounts", json={"billing": "x"})
    assert set(response.get_json()["error"]["fields"]) >= {"code", "name", "email", "currency", "billing"}


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_malformed_json_is_a_400(api, body):
    response = api.post("/accounts", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("fields, status, code", [
    ({"voip_plan_id": "USD"}, 422, "currency_mismatch"),
    ({"voip_plan_id": 999999}, 422, "unknown_voip_plan"),
    ({"currency": "XYZ"}, 422, "unknown_currency"),
    ({"timezone": "Mars/Olympus"}, 422, "unknown_timezone"),
    ({"country": "ZZ"}, 422, "unknown_country"),
    ({"billing": "prepaid", "credit_limit": "10"}, 422, "credit_requires_postpaid"),
])
def test_account_rules_answer_422(api, plans, fields, status, code):
    if fields.get("voip_plan_id") == "USD":
        fields["voip_plan_id"] = plans["USD"]
    response = new_account(api, plans, **fields)
    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    assert api.get("/accounts/5001").status_code == 404


def test_duplicate_account_code_is_a_conflict(api, plans):
    new_account(api, plans)
    response = new_account(api, plans)
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "account_exists")


def test_a_password_for_an_email_that_has_a_user_is_a_conflict(app, api, plans):
    with app.app_context():
        factories.user(role="admin", email="billing@acme.example")
        db.session.commit()
    response = new_account(api, plans, password="customer-secret-1", email="Billing@Acme.example")
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "user_exists")
    assert response.get_json()["error"]["fields"] == {"email": "taken"}
    assert api.get("/accounts/5001").status_code == 404  # the account is not left behind without its user
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_unknown_account_is_404(api):
    for response in (api.get("/accounts/nope"), api.patch("/accounts/nope", json={}),
                     api.get("/accounts/nope/transactions"), pay(api, "nope", "payment", "1")):
        assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")


def test_patch_changes_what_it_may(api, plans):
    new_account(api, plans)
    response = api.patch("/accounts/5001", json={"name": "Acme Group", "status": "suspended",
                                                 "profile": {"phone": "+441130000000"}})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["status"], body["profile"]["phone"]) == ("Acme Group", "suspended", "+441130000000")


@pytest.mark.parametrize("change, code", [
    ({"currency": "USD"}, "currency_immutable"),
    ({"voip_plan_id": "USD"}, "currency_mismatch"),
    ({"credit_limit": "999"}, "credit_limit_via_transactions"),
    ({"code": "other"}, "code_immutable"),
    ({"billing": "prepaid"}, "credit_requires_postpaid"),
    ({"country": "ZZ"}, "unknown_country"),
    ({"timezone": "Mars/Olympus"}, "unknown_timezone"),
    ({"voip_plan_id": 999999}, "unknown_voip_plan"),
])
def test_patch_refuses_what_it_may_not(api, plans, change, code):
    new_account(api, plans)
    if change.get("voip_plan_id") == "USD":
        change["voip_plan_id"] = plans["USD"]
    before = api.get("/accounts/5001").get_json()
    response = api.patch("/accounts/5001", json=change)
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, code)
    assert api.get("/accounts/5001").get_json() == before


def test_patch_refuses_unknown_fields(api, plans):
    new_account(api, plans)
    assert api.patch("/accounts/5001", json={"balance": "1000"}).status_code == 400


@pytest.mark.parametrize("name", ["name", "email", "billing", "status", "timezone", "tax_rate", "dial_rules",
                                  "profile", "currency", "credit_limit", "code"])
def test_patch_with_null_for_a_field_that_cannot_be_empty_names_it(api, plans, name):
    new_account(api, plans)
    before = api.get("/accounts/5001").get_json()
    response = api.patch("/accounts/5001", json={name: None})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {name: "cannot be null"}
    assert api.get("/accounts/5001").get_json() == before


@pytest.mark.parametrize("name", ["voip_plan_id", "country"])
def test_patch_with_null_clears_what_may_be_empty(api, plans, name):
    new_account(api, plans, country="GB")
    response = api.patch("/accounts/5001", json={name: None})
    assert (response.status_code, response.get_json()[name]) == (200, None)


@pytest.mark.parametrize("name", ["name", "email"])
def test_patch_refuses_an_empty_required_text(api, plans, name):
    new_account(api, plans)
    response = api.patch("/accounts/5001", json={name: "  "})
    assert response.status_code == 400 and name in response.get_json()["error"]["fields"]


def test_transactions_follow_the_worked_example(api, plans):
    new_account(api, plans)
    assert pay(api, "5001", "adjustment", "-30", description="Opening debt").status_code == 201
    response = pay(api, "5001", "payment", "40")
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("type", "amount", "balance", "credit_limit", "available")} == {
        "type": "payment", "amount": "40.000000", "balance": "10.000000", "credit_limit": "100.000000",
        "available": "110.000000"}
    assert pay(api, "5001", "return", "10").get_json()["balance"] == "0.000000"
    assert pay(api, "5001", "credit", "50").get_json()["credit_limit"] == "150.000000"
    assert pay(api, "5001", "return_credit", "20").get_json()["credit_limit"] == "130.000000"


def test_json_numbers_are_read_exactly(api, plans):
    new_account(api, plans)
    response = api.post("/accounts/5001/transactions", data='{"type": "payment", "amount": 0.1}',
                        headers={"Content-Type": "application/json", "Idempotency-Key": "json-number"})
    assert response.get_json()["balance"] == "0.100000"


@pytest.mark.parametrize("body", ['{"type": "payment", "amount": 1e3}', '{"type": "payment", "amount": 1000}',
                                  '{"type": "payment", "amount": "1000.0"}', '{"type": "payment", "amount": "+01000"}'])
def test_every_amount_is_answered_with_six_places(api, plans, body):
    new_account(api, plans)
    response = api.post("/accounts/5001/transactions", data=body,
                        headers={"Content-Type": "application/json", "Idempotency-Key": "six-places"})
    assert response.status_code == 201
    answer = response.get_json()
    assert (answer["amount"], answer["balance"], answer["available"]) == ("1000.000000", "1000.000000",
                                                                           "1100.000000")
    assert api.get("/accounts/5001/transactions").get_json()["items"][0]["amount"] == "1000.000000"


@pytest.mark.parametrize("amount", ["1e3", ".5", "5.", " 5", "1_000", "1000000000000", "0.0000001"])
def test_an_amount_string_is_written_as_the_document_says(api, plans, amount):
    """Digits, a point and six places at most (`parsing.MONEY_PATTERN`): what the OpenAPI document
    calls a valid amount string, no more (the ledger alone would also read 1e3 or .5)."""
    new_account(api, plans)
    response = api.post("/accounts/5001/transactions", json={"type": "payment", "amount": amount},
                        headers={"Idempotency-Key": f"form-{amount}"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_amount")


@pytest.mark.parametrize("kind, amount, description, status, code", [
    ("return", "0.01", None, 422, "return_exceeds_balance"),
    ("return_credit", "100.01", None, 422, "credit_below_zero"),
    ("adjustment", "5", None, 422, "reason_required"),
    ("payment", "0", None, 400, "invalid_amount"),
    ("payment", "-3", None, 400, "invalid_amount"),
    ("payment", "abc", None, 400, "invalid_amount"),
    ("payment", "1.0000001", None, 400, "invalid_amount"),
    ("payment", "1_000", None, 400, "invalid_amount"),
    ("payment", "1e30", None, 400, "invalid_amount"),
    ("payment", "1000000000000", None, 400, "invalid_amount"),
    ("payment", True, None, 400, "invalid_amount"),
    ("adjustment", "1e15", "Huge", 400, "invalid_amount"),
    ("payment", None, None, 400, "invalid_input"),
    ("gift", "1", None, 400, "invalid_input"),
])
def test_refused_transactions_name_their_rule_and_change_nothing(api, plans, kind, amount, description, status,
                                                                 code):
    new_account(api, plans)
    response = pay(api, "5001", kind, amount, description=description)
    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    account = api.get("/accounts/5001").get_json()
    assert (account["balance"], account["credit_limit"]) == ("0.000000", "100.000000")
    assert api.get("/accounts/5001/transactions").get_json()["items"] == []


def test_credit_on_a_prepaid_account_is_refused(api, plans):
    new_account(api, plans, billing="prepaid", credit_limit=None)
    response = pay(api, "5001", "credit", "10")
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "credit_requires_postpaid")


def test_a_balance_beyond_what_its_column_holds_is_refused(api, plans):
    new_account(api, plans)
    assert pay(api, "5001", "payment", "999999999999.999999").status_code == 201
    response = pay(api, "5001", "payment", "0.000001")
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "balance_out_of_range")
    assert api.get("/accounts/5001").get_json()["balance"] == "999999999999.999999"


def test_a_credit_limit_beyond_what_its_column_holds_is_refused(api, plans):
    new_account(api, plans)
    assert pay(api, "5001", "credit", "999999999899.999999").status_code == 201
    response = pay(api, "5001", "credit", "0.000001")
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "credit_limit_out_of_range")


def test_idempotency_key_replays_and_refuses_a_different_request(api, plans):
    new_account(api, plans)
    first = pay(api, "5001", "payment", "12.5", key="order-77")
    again = pay(api, "5001", "payment", "12.50", key="order-77")
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    other = pay(api, "5001", "payment", "13", key="order-77")
    assert (other.status_code, other.get_json()["error"]["code"]) == (409, "idempotency_conflict")
    assert api.get("/accounts/5001").get_json()["balance"] == "12.500000"


def test_an_idempotency_key_reused_for_another_type_of_transaction_is_a_conflict(api, plans):
    new_account(api, plans)
    assert pay(api, "5001", "payment", "5", key="order-78").status_code == 201
    response = pay(api, "5001", "credit", "5", key="order-78")
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "idempotency_conflict")
    account = api.get("/accounts/5001").get_json()
    assert (account["balance"], account["credit_limit"]) == ("5.000000", "100.000000")
    assert len(api.get("/accounts/5001/transactions").get_json()["items"]) == 1


def test_a_money_request_without_an_idempotency_key_is_refused(api, plans):
    new_account(api, plans)
    response = api.post("/accounts/5001/transactions", json={"type": "payment", "amount": "5"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"Idempotency-Key": "required"}
    assert api.get("/accounts/5001/transactions").get_json()["items"] == []


@pytest.mark.parametrize("key, status", [("k" * 128, 201), ("é" * 128, 201), ("k" * 129, 400), ("", 400)])
def test_an_idempotency_key_may_have_up_to_128_characters(api, plans, key, status):
    new_account(api, plans)
    response = pay(api, "5001", "payment", "5", key=key) if key else api.post(
        "/accounts/5001/transactions", json={"type": "payment", "amount": "5"}, headers={"Idempotency-Key": ""})
    assert response.status_code == status
    if status == 201:
        assert pay(api, "5001", "payment", "5", key=key).get_json() == response.get_json()
        assert api.get("/accounts/5001").get_json()["balance"] == "5.000000"


@pytest.mark.parametrize("kind, amount, code", [
    ("return", "5", "return_exceeds_balance"),
    ("return_credit", "500", "credit_below_zero"),
    ("adjustment", "5", "reason_required"),
])
def test_a_refused_request_retried_with_its_key_is_refused_again(app, api, plans, kind, amount, code):
    new_account(api, plans)
    for _ in range(2):
        response = pay(api, "5001", kind, amount, key="retry-1")
        assert (response.status_code, response.get_json()["error"]["code"]) == (422, code)
    assert idempotency_records(app) == 0
    assert pay(api, "5001", "payment", "5", key="retry-1").status_code == 201  # the key is still free


def test_credit_operations_answer_the_credit_events_integer_id(app, api, plans):
    new_account(api, plans)
    answers = [pay(api, "5001", kind, "10").get_json() for kind in ("credit", "return_credit")]
    with app.app_context():
        events = db.session.execute(select(CreditLimitEvent.id, CreditLimitEvent.type)
                                    .order_by(CreditLimitEvent.id)).all()
    assert [(a["id"], a["type"]) for a in answers] == [tuple(event) for event in events[-2:]]
    assert all(type(a["id"]) is int for a in answers)


def test_the_transaction_list_includes_call_charges(app, api, plans):
    new_account(api, plans)
    pay(api, "5001", "payment", "10")
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "5001"))
        cdr = Cdr(uuid="call-in-list", account_code="5001", account_id=account.id, callee="4420", number="4420",
                  start=utcnow(), billsec=60, status="rated", price=Decimal("0.1234"), currency="EUR")
        db.session.add(cdr)
        db.session.flush()
        operations.charge_call(cdr)
        db.session.commit()
    items = api.get("/accounts/5001/transactions").get_json()["items"]
    assert [(i["type"], i["amount"], i.get("cdr")) for i in items] == [
        ("call_charge", "-0.123400", "call-in-list"), ("payment", "10.000000", None)]


def test_transactions_list_newest_first_with_cursor_pages(api, plans):
    new_account(api, plans)
    for amount in ("1", "2", "3", "4", "5"):
        pay(api, "5001", "payment", amount)
    first = api.get("/accounts/5001/transactions?limit=2").get_json()
    assert [item["amount"] for item in first["items"]] == ["5.000000", "4.000000"]
    second = api.get(f"/accounts/5001/transactions?limit=2&cursor={first['next_cursor']}").get_json()
    assert [item["amount"] for item in second["items"]] == ["3.000000", "2.000000"]
    third = api.get(f"/accounts/5001/transactions?limit=2&cursor={second['next_cursor']}").get_json()
    assert [item["amount"] for item in third["items"]] == ["1.000000"] and third["next_cursor"] is None
    assert api.get("/accounts/5001/transactions?limit=0").status_code == 400
    assert api.get("/accounts/5001/transactions?cursor=%%%").status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_missing_or_wrong_key_is_401(client, plans, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/accounts/5001", headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "unauthorized")


def test_revoked_key_is_401(app, api):
    with app.app_context():
        for key in db.session.query(ApiKey).all():
            revoke_api_key(key)
        db.session.commit()
    assert api.get("/accounts/x").status_code == 401


def test_switch_key_may_not_manage_accounts(switch_api, plans):
    for response in (new_account(switch_api, plans), switch_api.get("/accounts/5001"),
                     pay(switch_api, "5001", "payment", "1")):
        assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")


def test_a_signed_in_customer_session_is_no_api_key(client, auth, app):
    from tests import factories

    with app.app_context():
        factories.user(role="customer", email="c@example.com")
        db.session.commit()
    auth.login("c@example.com", factories.PASSWORD)
    assert client.get("/api/v1/accounts/x").status_code == 401


def test_unknown_api_path_answers_json_404(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_method_an_endpoint_does_not_take_answers_json_405(api, plans):
    new_account(api, plans)
    response = api.client.delete("/api/v1/accounts/5001", headers={"Authorization": f"Bearer {api.token}"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (405, "method_not_allowed")
    assert api.get("/accounts/5001").status_code == 200


def test_api_key_command_prints_the_key_last_and_stores_a_hash(app, runner):
    result = runner.invoke(args=["api-key", "create", "edge-1", "--role", "switch"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        key = db.session.query(ApiKey).filter_by(name="edge-1").one()
        assert key.role == "switch" and token not in (key.key_hash, key.key_prefix)
        assert len(key.key_hash) == 64
    assert app.test_client().get("/api/v1/accounts/x", headers={"Authorization": f"Bearer {token}"}).status_code == 403


@pytest.mark.parametrize("role", ["customer", "accountant", ""])
def test_api_key_command_refuses_a_role_keys_cannot_have(app, runner, role):
    result = runner.invoke(args=["api-key", "create", "edge-3", "--role", role])
    assert result.exit_code != 0 and "--role" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_api_key_revoke_command_refuses_the_key_from_then_on(app, runner):
    token = runner.invoke(args=["api-key", "create", "edge-2", "--role", "admin"]).output.strip().splitlines()[-1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/accounts/x", headers=headers).status_code == 404
    result = runner.invoke(args=["api-key", "revoke", "edge-2"])
    assert result.exit_code == 0 and "Revoked edge-2" in result.output
    assert client.get("/api/v1/accounts/x", headers=headers).status_code == 401


def test_api_key_revoke_command_names_an_unknown_key(runner):
    result = runner.invoke(args=["api-key", "revoke", "nobody"])
    assert result.exit_code != 0 and "No key named nobody" in result.output
