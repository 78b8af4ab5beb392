"""Every response tells the browser what it may do: run only our own scripts (Flask-Admin's inline
ones by the request's nonce), never be framed, never sniff a type, send only the origin to other
sites, and, over HTTPS only, stay on HTTPS. Key pages hold no inline script without the nonce and
no `on…=` handler attribute, which no policy without 'unsafe-inline' would run."""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.demo import ADMIN, CUSTOMERS
from portal.extensions import db
from portal.models import Account, LedgerTransaction
from tests.conftest import AuthActions, make_app


@pytest.fixture
def demo(app, runner):
    """The demo operator: its accounts, plans, providers, invoices; ids of an account and a receipt."""
    assert runner.invoke(args=["demo", "--calls", "0"]).exit_code == 0
    with app.app_context():
        alice = db.session.scalar(select(Account).where(Account.code == "1001"))
        return {"account": alice.id,
                "receipt": db.session.scalar(select(LedgerTransaction.id).where(
                    LedgerTransaction.account_id == alice.id, LedgerTransaction.type == "payment"))}


def signed_in(app, who):
    client = app.test_client()
    if who == "customer":
        AuthActions(client).login(CUSTOMERS[0][1], CUSTOMERS[0][2])
    elif who == "admin":
        AuthActions(client).login(ADMIN[1], ADMIN[2])
    return client


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


def assert_secure_headers(response):
    csp = policy(response)
    assert csp.get("frame-ancestors") == ["'none'"], response.headers.get("Content-Security-Policy")
    assert "'unsafe-inline'" not in csp.get("script-src", csp.get("default-src", ["'unsafe-inline'"]))
    assert csp.get("object-src") == ["'none'"]
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


#: (who asks, what, the status it answers): portal, auth, admin, API, files, errors.
RESPONSES = [
    ("anonymous", "/login", 200),
    ("anonymous", "/no-such-page", 404),
    ("customer", "/", 200),
    ("customer", "/invoices", 200),
    ("customer", "/receipts/{receipt}.pdf", 200),
    ("customer", "/password", 200),
    ("admin", "/admin/", 200),
    ("admin", "/admin/cdr/", 200),
    ("admin", "/admin/cdr/export/csv/", 200),
    ("admin", "/admin/account/money/?id={account}", 200),
    ("customer", "/admin/", 403),
    ("anonymous", "/api/v1/openapi.json", 200),
    ("anonymous", "/api/v1/accounts/1001", 401),
    ("anonymous", "/api/v1/no-such-thing", 404),
    ("anonymous", "/static/css/portal.css", 200),
    ("anonymous", "/admin/static/admin/js/helpers.js", 200),
]


@pytest.mark.parametrize("who, path, status", RESPONSES)
def test_every_response_carries_the_security_headers(app, demo, who, path, status):
    response = signed_in(app, who).get(path.format(**demo))
    assert response.status_code == status
    assert_secure_headers(response)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_a_server_error_carries_the_security_headers(database_url, path):
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule(path, "boom", boom)
    response = app.test_client().get(path)
    assert response.status_code == 500
    assert_secure_headers(response)


@pytest.mark.parametrize("trusted_hops, base_url, forwarded, hsts", [
    (0, "http://localhost", None, False),
    (0, "https://localhost", None, True),
    (0, "http://localhost", "https", False),
    (1, "http://localhost", "https", True),
    (1, "http://localhost", "http", False),
    (1, "https://localhost", None, True),
])
def test_hsts_only_over_https_as_the_trusted_proxies_say(database_url, trusted_hops, base_url, forwarded, hsts):
    app = make_app(database_url, TRUSTED_PROXY_HOPS=trusted_hops)
    headers = {"X-Forwarded-Proto": forwarded, "X-Forwarded-For": "203.0.113.9"} if forwarded else {}
    response = app.test_client().get("/login", base_url=base_url, headers=headers)
    assert response.headers.get("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains" if hsts else None)


class Page(HTMLParser):
    """The scripts of a page (attributes, and whether it has a body) and every handler attribute."""

    def __init__(self, html):
        super().__init__()
        self.scripts, self.handlers, self._script = [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [f"<{tag} {name}=…>" for name in attrs if name.startswith("on")]
        if tag == "script":
            self._script = {"attrs": attrs, "text": ""}
            self.scripts.append(self._script)

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def executable(script):
    return script["attrs"].get("type", "text/javascript") in ("text/javascript", "module", "")


#: Pages where a script runs: the customer's, the sign-in pages, the admin's lists and forms.
KEY_PAGES = [
    ("anonymous", "/login"),
    ("anonymous", "/no-such-page"),
    ("customer", "/"),
    ("customer", "/invoices"),
    ("customer", "/profile"),
    ("customer", "/password"),
    ("admin", "/admin/"),
    ("admin", "/admin/account/"),
    ("admin", "/admin/account/new/"),
    ("admin", "/admin/account/edit/?id={account}"),
    ("admin", "/admin/account/money/?id={account}"),
    ("admin", "/admin/cdr/"),
    ("admin", "/admin/provider/details/?id=1"),
    ("admin", "/admin/provider/"),
    ("admin", "/admin/provider/edit/?id=1"),
    ("admin", "/admin/peakschedule/edit/?id=1"),
    ("admin", "/admin/voipplan/new/"),
    ("admin", "/admin/retail_rates/"),
    ("admin", "/admin/invoice/"),
    ("admin", "/admin/invoice/close/"),
    ("admin", "/admin/user/"),
]


@pytest.mark.parametrize("who, path", KEY_PAGES)
def test_key_pages_run_no_inline_script_without_the_nonce_and_no_handler_attribute(app, demo, who, path):
    response = signed_in(app, who).get(path.format(**demo))
    assert response.status_code in (200, 404)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    page = Page(response.get_data(as_text=True))
    inline = [script for script in page.scripts if executable(script) and "src" not in script["attrs"]]
    assert all(nonce and script["attrs"].get("nonce") == nonce.group(1) for script in inline), inline
    assert page.handlers == []
    assert page.scripts, "a page without any script is not a key page"
