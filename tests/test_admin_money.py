"""The admin records payments, returns and credit from an account's money page; a refused
operation shows its rule; a resubmitted form posts once."""
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Account, LedgerTransaction
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
