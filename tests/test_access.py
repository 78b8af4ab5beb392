"""Every admin URL is guarded by role; CSRF guards every form; sign-in is throttled."""
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Provider
from tests import factories
from tests.factories import PASSWORD

ACCOUNTANT_PAGES = {"/admin/", "/admin/invoice/"}


def admin_urls(app):
    """Every admin page that takes no URL argument (list, create, export pages…)."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and not rule.arguments and "GET" in rule.methods:
            urls.add(rule.rule)
    return sorted(urls)


def every_admin_request(app):
    """(method, url) for every admin route and method, URL arguments filled in: detail pages, PDFs,
    exports, and the POST-only actions (delete, bulk actions, inline edits) too."""
    requests = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin") or rule.endpoint.endswith(".static"):
                continue
            values = {name: "csv" if name == "export_type" else 1 for name in rule.arguments}
            url = rule.build(values)[1]
            requests.update((method, url) for method in rule.methods - {"HEAD", "OPTIONS"})
    return sorted(requests)


def _send(client, method, url, token):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token, "rowid": "1", "action": "delete",
                                                 "id": "1", "list_form_pk": "1"})


@pytest.fixture
def staff(app):
    with app.app_context():
        factories.user(role="admin", email="admin@example.com")
        factories.user(role="accountant", email="accountant@example.com")
        factories.user(role="customer", email="customer@example.com")
        db.session.commit()


def test_there_are_many_admin_urls(app):
    assert len(admin_urls(app)) > 40


def test_customer_is_refused_every_admin_url(app, client, auth, staff):
    auth.login("customer@example.com", PASSWORD)
    for url in admin_urls(app):
        assert client.get(url).status_code == 403, url


def test_customer_is_refused_every_admin_route_and_method(app, client, auth, staff):
    auth.login("customer@example.com", PASSWORD)
    token = auth.csrf_token("/password")
    requests = every_admin_request(app)
    assert any(method == "POST" for method, _ in requests) and any("/pdf/1" in url for _, url in requests)
    for method, url in requests:
        assert _send(client, method, url, token).status_code == 403, (method, url)


def test_accountant_is_refused_every_admin_route_outside_invoices(app, client, auth, staff):
    auth.login("accountant@example.com", PASSWORD)
    token = auth.csrf_token("/password")
    for method, url in every_admin_request(app):
        if url != "/admin/" and not url.startswith("/admin/invoice/"):
            assert _send(client, method, url, token).status_code == 403, (method, url)


def test_anonymous_is_sent_to_sign_in_from_every_admin_url(app, client, staff):
    for url in admin_urls(app):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_accountant_sees_invoices_but_nothing_else(app, client, auth, staff):
    auth.login("accountant@example.com", PASSWORD)
    for url in admin_urls(app):
        status = client.get(url).status_code
        if url in ACCOUNTANT_PAGES:
            assert status == 200, url
        elif url.startswith("/admin/invoice/"):
            assert status in (200, 302, 404), url
        else:
            assert status == 403, url


def test_admin_reaches_every_list_page(app, client, auth, staff):
    auth.login("admin@example.com", PASSWORD)
    for url in admin_urls(app):
        if url.endswith("/") and url.count("/") <= 3:
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["admin", "accountant"])
def test_staff_have_no_customer_portal(client, auth, staff, role):
    auth.login(f"{role}@example.com", PASSWORD)
    assert client.get("/").status_code == 403


def test_login_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_admin_form_without_csrf_token_creates_nothing(app, client, auth, staff):
    auth.login("admin@example.com", PASSWORD)
    response = client.post("/admin/provider/new/", data={"name": "Sneaky", "priority": "1"})
    assert response.status_code in (200, 400)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 0


def test_admin_form_with_csrf_token_creates(app, client, auth, staff):
    auth.login("admin@example.com", PASSWORD)
    token = auth.csrf_token("/admin/provider/new/")
    response = client.post("/admin/provider/new/", data={"csrf_token": token, "name": "Real", "priority": "1",
                                                         "description": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Provider.name)) == "Real"


def test_logout_without_csrf_token_is_refused(client, auth, staff):
    auth.login("admin@example.com", PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_login_is_throttled_per_account(client, auth, staff):
    for _ in range(5):
        assert auth.login("admin@example.com", "wrong-password-123").status_code == 401
    response = auth.login("admin@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not locked by this one.
    assert auth.login("accountant@example.com", PASSWORD).status_code == 302


def test_login_is_throttled_per_address(app, client, auth, staff):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for n in range(3):
        assert auth.login(f"guess{n}@example.com", "wrong-password-123").status_code == 401
    response = auth.login("admin@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_successful_logins_do_not_count_against_the_throttle(client, auth, staff):
    for _ in range(8):
        assert auth.login("admin@example.com", PASSWORD).status_code == 302
        auth.logout()


def _post_routes(app, prefix_test):
    with app.test_request_context():
        return sorted({rule.build({name: 1 for name in rule.arguments})[1] for rule in app.url_map.iter_rules()
                       if "POST" in rule.methods and prefix_test(rule.rule)})


def test_every_form_post_outside_the_api_needs_a_csrf_token(app, client, auth, staff):
    """Whatever form a later change adds, a POST without the token is refused before its view runs."""
    admin_posts = _post_routes(app, lambda rule: rule.startswith("/admin"))
    portal_posts = _post_routes(app, lambda rule: not rule.startswith(("/admin", "/api/", "/static")))
    assert len(admin_posts) > 20 and {"/login", "/logout", "/password"} <= set(portal_posts)
    auth.login("admin@example.com", PASSWORD)
    for url in admin_posts:
        response = client.post(url, data={"id": "1", "rowid": "1", "action": "delete", "name": "x"})
        assert response.status_code == 400 and "form expired" in response.get_data(as_text=True), url
    auth.logout()
    auth.login("customer@example.com", PASSWORD)
    for url in portal_posts:
        assert client.post(url, data={"amount": "10"}).status_code == 400, url


def _nav_links(page):
    import re

    return set(re.findall(r'href="(/[^"?#]*)', page))


def test_navigation_shows_what_each_role_may_use(client, auth, staff):
    auth.login("accountant@example.com", PASSWORD)
    accountant = {link for link in _nav_links(client.get("/admin/").get_data(as_text=True))
                  if link.startswith("/admin/") and not link.startswith("/admin/static")}
    assert "/admin/invoice/" in accountant
    assert accountant <= ACCOUNTANT_PAGES | {"/admin/invoice/close/", "/admin/invoice/receipts/"}, accountant
    auth.logout()

    auth.login("admin@example.com", PASSWORD)
    admin = _nav_links(client.get("/admin/").get_data(as_text=True))
    assert {"/admin/invoice/", "/admin/provider/", "/admin/account/"} <= admin
    auth.logout()

    auth.login("customer@example.com", PASSWORD)
    customer = _nav_links(client.get("/").get_data(as_text=True))
    assert {"/", "/invoices", "/profile"} <= customer
    assert not any(link.startswith("/admin") for link in customer)


def test_the_throttle_counts_the_client_behind_a_trusted_proxy(app, client, auth, staff):
    """Behind one trusted proxy each client has its own count; without it X-Forwarded-For is ignored,
    so a client cannot escape the throttle by making up addresses."""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "2 per 15 minutes"

    def attempt(address):
        data = {"email": "nobody@example.com", "password": "wrong-password-123", "csrf_token": auth.csrf_token()}
        return client.post("/login", data=data, headers={"X-Forwarded-For": address}).status_code

    assert [attempt("203.0.113.1"), attempt("203.0.113.2"), attempt("203.0.113.3")] == [401, 401, 429]

    from tests.conftest import AuthActions, make_app

    proxied = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXY_HOPS=1,
                       LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    client, auth = proxied.test_client(), AuthActions(proxied.test_client())
    auth._client = client
    assert [attempt("203.0.113.1"), attempt("203.0.113.1"), attempt("203.0.113.1")] == [401, 401, 429]
    assert attempt("203.0.113.2") == 401
