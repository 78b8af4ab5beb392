"""Bad input on the pages never reaches a server error (DESIGN §7): page numbers and ids past what an
integer column holds, integer filters beyond their column, a NUL in an address or a form, and
monstrous numbers in admin forms. Each once answered 500 on SQLite, PostgreSQL or both."""
import pytest
from sqlalchemy import func, select

from portal.extensions import admin as admin_views
from portal.extensions import db
from portal.models import HangupCause, RetailRate
from tests import factories
from tests.factories import PASSWORD

BIG = "99999999999999999999"


@pytest.fixture
def staff(app):
    with app.app_context():
        factories.user(role="admin", email="admin@example.com")
        factories.user(role="customer", email="customer@example.com")
        db.session.commit()


@pytest.fixture
def as_admin(client, auth, staff):
    auth.login("admin@example.com", PASSWORD)
    return client


def model_views(app):
    """Every Flask-Admin model view: (its list URL, the view)."""
    with app.test_request_context():
        return [(view.url + "/", view) for view in admin_views._views if hasattr(view, "model")]


@pytest.mark.parametrize("page", [BIG, "-" + BIG, "-1", str(2**31), "abc"])
def test_every_admin_list_answers_any_page_number(app, as_admin, page):
    views = model_views(app)
    assert len(views) > 25
    for url, _ in views:
        assert as_admin.get(f"{url}?page={page}").status_code == 200, url


@pytest.mark.parametrize("record_id", [BIG, "-" + BIG, "-1", str(2**31), "40000", "abc"])
def test_a_record_no_key_can_name_is_missing_not_an_error(app, as_admin, record_id):
    for url, view in model_views(app):
        for page in ("details/", "edit/") if view.can_edit else ("details/",):
            response = as_admin.get(f"{url}{page}?id={record_id}")
            assert response.status_code == 302, (url, page, response.status_code)


def test_every_integer_filter_refuses_a_number_beyond_its_column(app, as_admin):
    checked = 0
    for url, view in model_views(app):
        for index, flt in enumerate(view._filters or []):
            if flt.__class__.__name__.startswith("Int"):
                for value in (BIG, "-" + BIG, "40000", f"1,{BIG}"):
                    response = as_admin.get(f"{url}?flt0_{index}={value}")
                    assert response.status_code == 200, (url, flt.name, value)
                    checked += 1
    assert checked  # the calls' hangup cause, a small integer, is among them


@pytest.mark.parametrize("url", ["/admin/invoice/pdf/{}", "/admin/invoice/credit/{}", "/admin/invoice/receipt/{}",
                                 "/receipts/{}.pdf"])
def test_an_id_in_a_path_beyond_any_id_column_is_a_404(client, auth, staff, url):
    auth.login("customer@example.com" if url.startswith("/receipts") else "admin@example.com", PASSWORD)
    assert client.get(url.format(BIG)).status_code == 404
    assert client.get(url.format(2**31)).status_code == 404


@pytest.mark.parametrize("query", [f"id={BIG}", "id=-1", "id=abc", ""])
def test_the_money_page_of_an_account_no_id_can_name_is_a_404(as_admin, query):
    assert as_admin.get(f"/admin/account/money/?{query}").status_code == 404


@pytest.mark.parametrize("query", [f"page={BIG}", f"receipts={BIG}", "page=-1", f"year={BIG}", "page=abc"])
def test_the_customer_invoices_answer_any_page_number(client, auth, staff, query):
    auth.login("customer@example.com", PASSWORD)
    assert client.get(f"/invoices?{query}").status_code == 200


@pytest.mark.parametrize("method, url, data", [
    ("get", "/admin/retail_rates/?search=a%00b", None),
    ("get", "/admin/retail_rates/?flt0_0=a%00b", None),
    ("get", "/admin/user/?search=%00", None),
    ("post", "/admin/provider/new/", {"name": "a\x00b", "priority": "1"}),
])
def test_a_nul_in_an_address_or_a_form_is_a_400(as_admin, method, url, data):
    response = getattr(as_admin, method)(url, **({} if data is None else {"data": data}))
    assert response.status_code == 400


def test_a_nul_in_the_sign_in_form_is_a_400(client, staff):
    assert client.post("/login", data={"email": "admin@example.com\x00", "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize("rate", ["1e400", "1E+999999999", "NaN", "1" * 5000, "0.0000001"])
def test_a_monstrous_rate_in_the_admin_rate_form_is_a_message_and_stores_nothing(app, as_admin, auth, rate):
    with app.app_context():
        plan_id = factories.voip_plan().retail_links[0].retail_plan_id
        db.session.commit()
    response = as_admin.post("/admin/retail_rates/new/", data={
        "csrf_token": auth.csrf_token("/admin/retail_rates/new/"), "plan": str(plan_id), "prefix": "49",
        "rate": rate, "t1": "1", "t2": "1"})
    assert response.status_code == 200
    assert "The amount" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RetailRate)) == 0


@pytest.mark.parametrize("code", [BIG, "-" + BIG, "40000"])
def test_a_key_beyond_its_column_in_an_admin_form_is_a_message(app, as_admin, auth, code):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(HangupCause))
    response = as_admin.post("/admin/hangupcause/new/", data={
        "csrf_token": auth.csrf_token("/admin/hangupcause/new/"), "code": code, "enumeration": "X", "cause": "X"})
    assert response.status_code == 200
    assert "Must be between -32768 and 32767." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HangupCause)) == before
