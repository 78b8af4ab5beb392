"""The admin's account pages: money is recorded from an account's money page, a refused operation
shows its rule and can be resubmitted or corrected, a resubmitted form posts once; accounts keep
their currency's VoIP plans; secrets never show."""
import re

import pytest
from sqlalchemy import func, select

from portal.auth.api_keys import create_api_key
from portal.extensions import db
from portal.models import Account, ApiKey, IdempotencyRecord, LedgerTransaction, User
from tests import factories
from tests.factories import PASSWORD


@pytest.fixture
def account_id(app, auth):
    with app.app_context():
        factories.user(role="admin", email="admin@example.com")
        account = factories.account(code="7001", billing="postpaid")
        db.session.commit()
        account_id = account.id
    auth.login("admin@example.com", PASSWORD)
    return account_id


def form_fields(client, account_id):
    page = client.get(f"/admin/account/money/?id={account_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    return token, key


def submit(client, account_id, kind, amount, description="", fields=None):
    token, key = fields or form_fields(client, account_id)
    return client.post(f"/admin/account/money/?id={account_id}", data={
        "csrf_token": token, "idempotency_key": key, "type": kind, "amount": amount, "description": description})


def balances(app, account_id):
    with app.app_context():
        account = db.session.get(Account, account_id)
        return str(account.balance), str(account.credit_limit)


def test_admin_records_credit_payment_and_return(app, client, account_id):
    assert submit(client, account_id, "credit", "100").status_code == 302
    assert submit(client, account_id, "payment", "40.5").status_code == 302
    assert submit(client, account_id, "return", "0.5").status_code == 302
    assert balances(app, account_id) == ("40.000000", "100.000000")
    page = client.get(f"/admin/account/money/?id={account_id}").get_data(as_text=True)
    assert "€40.00" in page and "€100.00" in page


def test_refused_operation_shows_its_rule(app, client, account_id):
    response = submit(client, account_id, "return", "5")
    assert "exceeds the positive balance" in response.get_data(as_text=True)
    assert balances(app, account_id) == ("0.000000", "0.000000")


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_refused_form_resubmitted_is_refused_again_and_can_then_be_corrected(app, client, account_id):
    fields = form_fields(client, account_id)
    for _ in range(2):
        response = submit(client, account_id, "return", "5", fields=fields)
        assert response.status_code == 200 and "exceeds the positive balance" in response.get_data(as_text=True)
        assert count(app, IdempotencyRecord) == 0
    assert submit(client, account_id, "payment", "5", fields=fields).status_code == 302  # same hidden key
    assert submit(client, account_id, "payment", "5", fields=fields).status_code == 302  # replayed
    assert balances(app, account_id)[0] == "5.000000" and count(app, LedgerTransaction) == 1


@pytest.mark.parametrize("amount, message", [
    ("1_000", "must be a decimal number"), ("1e30", "must be below"), ("0.0000001", "more than six decimal places"),
    ("ten", "must be a decimal number"),
])
def test_an_amount_the_ledger_cannot_take_is_refused_with_its_reason(app, client, account_id, amount, message):
    assert message in submit(client, account_id, "payment", amount).get_data(as_text=True)
    assert count(app, LedgerTransaction) == 0


def test_an_amount_in_exponent_notation_is_recorded_exactly(app, client, account_id):
    assert submit(client, account_id, "payment", "1e3").status_code == 302
    assert balances(app, account_id)[0] == "1000.000000"
    assert "Payment of €1,000.00 recorded." in client.get(f"/admin/account/money/?id={account_id}").get_data(
        as_text=True)


def test_resubmitted_form_posts_once(app, client, account_id):
    fields = form_fields(client, account_id)
    submit(client, account_id, "payment", "10", fields=fields)
    submit(client, account_id, "payment", "10", fields=fields)
    assert balances(app, account_id)[0] == "10.000000"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


def test_adjustment_needs_a_reason(app, client, account_id):
    assert "needs a reason" in submit(client, account_id, "adjustment", "-3").get_data(as_text=True)
    assert submit(client, account_id, "adjustment", "-3", "Disputed call").status_code == 302
    assert balances(app, account_id)[0] == "-3.000000"


def test_customer_cannot_reach_the_money_page(app, client, auth, account_id):
    with app.app_context():
        factories.user(role="customer", email="cust@example.com")
        db.session.commit()
    auth.logout()
    auth.login("cust@example.com", PASSWORD)
    assert client.get(f"/admin/account/money/?id={account_id}").status_code == 403
    assert client.post(f"/admin/account/money/?id={account_id}", data={}).status_code in (400, 403)


def account_form(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_admin_cannot_create_an_account_on_a_plan_in_another_currency(app, client, account_id):
    with app.app_context():
        dollars = factories.voip_plan("USD").id
        db.session.commit()
    response = client.post("/admin/account/new/", data={
        "csrf_token": account_form(client, "/admin/account/new/"), "code": "7002", "name": "Euro Ltd",
        "email": "euro@example.com", "currency": "EUR", "billing": "prepaid", "voip_plan": str(dollars),
        "status": "active", "tax_rate": "0", "timezone": "UTC", "language": "en"}, follow_redirects=True)
    assert "is in USD; the account is in EUR" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.code == "7002")) is None


def test_the_admin_cannot_move_an_account_to_a_plan_in_another_currency(app, client, account_id):
    with app.app_context():
        dollars, euros = factories.voip_plan("USD").id, factories.voip_plan("EUR").id
        db.session.commit()
    path = f"/admin/account/edit/?id={account_id}"
    data = {"csrf_token": account_form(client, path), "code": "7001", "name": "Customer", "email": "c@example.com",
            "billing": "postpaid", "status": "active", "tax_rate": "0", "timezone": "UTC", "language": "en"}
    response = client.post(path, data={**data, "voip_plan": str(dollars)}, follow_redirects=True)
    assert "is in USD; the account is in EUR" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account_id).voip_plan_id is None
    assert client.post(path, data={**data, "voip_plan": str(euros)}).status_code == 302
    with app.app_context():
        assert db.session.get(Account, account_id).voip_plan_id == euros


def test_no_page_shows_a_password_hash(app, client, account_id):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "admin@example.com"))
    page = client.get(f"/admin/user/details/?id={user_id}")
    assert page.status_code == 200 and "admin@example.com" in page.get_data(as_text=True)
    assert "$argon2" not in page.get_data(as_text=True)


def test_no_page_shows_an_api_key_hash(app, client, account_id):
    with app.app_context():
        key, _ = create_api_key("edge-9", "switch")
        db.session.commit()
        key_id, key_hash = key.id, key.key_hash
    for path in (f"/admin/apikey/details/?id={key_id}", "/admin/apikey/export/csv/"):
        page = client.get(path)
        assert page.status_code == 200 and "edge-9" in page.get_data(as_text=True), path
        assert key_hash not in page.get_data(as_text=True), path
    with app.app_context():
        assert db.session.get(ApiKey, key_id).key_hash == key_hash


def edit_data(client, account_id, **fields):
    path = f"/admin/account/edit/?id={account_id}"
    data = {"csrf_token": account_form(client, path), "code": "7001", "name": "Customer", "email": "c@example.com",
            "billing": "postpaid", "status": "active", "tax_rate": "0", "timezone": "UTC", "language": "en"}
    return path, {**data, **fields}


def test_the_admin_cannot_make_an_account_with_credit_prepaid(app, client, account_id):
    assert submit(client, account_id, "credit", "100").status_code == 302
    path, data = edit_data(client, account_id, billing="prepaid")
    response = client.post(path, data=data, follow_redirects=True)
    assert "A prepaid account has no credit limit (here 100.000000)" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account_id).billing == "postpaid"
    assert submit(client, account_id, "return_credit", "100").status_code == 302
    path, data = edit_data(client, account_id, billing="prepaid")
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Account, account_id).billing == "prepaid"


def test_code_and_currency_are_shown_but_cannot_be_changed_on_edit(app, client, account_id):
    page = client.get(f"/admin/account/edit/?id={account_id}").get_data(as_text=True)
    for name, value in (("code", "7001"), ("currency", "EUR")):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*readonly[^>]*value="{value}"', page), name
    path, data = edit_data(client, account_id, code="7999", currency="USD", name="Renamed")
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert (account.code, account.currency, account.name) == ("7001", "EUR", "Renamed")
