"""The sign-in throttle counts failures only, where every worker process sees them, per client
address and per (account, address): served by gunicorn's two workers it refuses exactly after the
configured count, and an attacker elsewhere cannot refuse the owner's right password."""
import http.cookiejar
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.benchmarks.authorize import _free_port
from portal.extensions import db
from portal.models import RateLimitCounter
from tests import factories
from tests.conftest import AuthActions, form_csrf_token
from tests.factories import PASSWORD
from tests.test_serving import listening_sockets

ROOT = Path(__file__).resolve().parents[1]
PER_ACCOUNT, PER_ADDRESS = 5, 12
WRONG = "wrong-password-123"


@pytest.fixture
def customer(app):
    with app.app_context():
        factories.user(role="customer", email="owner@example.com")
        db.session.commit()
    return "owner@example.com"


@pytest.fixture
def served(app, database_url):
    """The portal under gunicorn with two workers, on this run's database: its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40, "VOIP2BILL_ENV": "production",
           "SESSION_COOKIE_SECURE": "0", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8",
           "ARGON2_PARALLELISM": "1", "LOGIN_LIMIT_PER_ACCOUNT": f"{PER_ACCOUNT} per 15 minutes",
           "LOGIN_LIMIT_PER_ADDRESS": f"{PER_ADDRESS} per 15 minutes"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:portal.serving", "-w", "2",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while listening_sockets(port) < 2 and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
        assert listening_sockets(port) == 2, "gunicorn's two workers did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser over real HTTP: it keeps its cookies and shows redirects instead of following them.
    Each request opens a connection of its own, which the kernel gives to either worker."""

    def __init__(self, base):
        self.base = base
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                   _NoRedirect)

    def sign_in(self, email, password):
        """Loads the sign-in form, and posts it with its own CSRF token: the answer's status."""
        with self._opener.open(self.base + "/login", timeout=10) as page:
            token = form_csrf_token(page.read().decode(), "/login")
        form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
        try:
            with self._opener.open(self.base + "/login", data=form, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as answer:
            return answer.code


def test_two_workers_refuse_right_after_the_configured_failures_of_an_account(served, customer):
    browser = Browser(served)
    statuses = [browser.sign_in(customer, WRONG) for _ in range(PER_ACCOUNT + 1)]
    assert statuses == [401] * PER_ACCOUNT + [429]
    assert browser.sign_in(customer, PASSWORD) == 429


def test_two_workers_refuse_right_after_the_configured_failures_of_an_address(served, customer):
    browser = Browser(served)
    statuses = [browser.sign_in(f"guess{n}@example.com", WRONG) for n in range(PER_ADDRESS + 1)]
    assert statuses == [401] * PER_ADDRESS + [429]
    assert browser.sign_in(customer, PASSWORD) == 429


def _browser_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def test_an_attacker_elsewhere_cannot_refuse_the_owners_right_password(app, customer):
    attacker, owner = _browser_at(app, "203.0.113.9"), _browser_at(app, "198.51.100.7")
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    statuses = [attacker.login(customer, WRONG).status_code for _ in range(limit + 1)]
    assert statuses == [401] * limit + [429]
    assert owner.login(customer, PASSWORD).status_code == 302


def test_an_attacker_behind_the_trusted_proxy_cannot_refuse_the_owner_either(app, customer):
    from tests.conftest import make_app

    proxied = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXY_HOPS=1)
    limit = int(proxied.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])

    def sign_in(address, password):
        client = proxied.test_client()
        token = form_csrf_token(client.get("/login").get_data(as_text=True), "/login")
        return client.post("/login", headers={"X-Forwarded-For": address},
                           data={"csrf_token": token, "email": customer, "password": password}).status_code

    assert [sign_in("203.0.113.9", WRONG) for _ in range(limit + 1)] == [401] * limit + [429]
    assert sign_in("198.51.100.7", PASSWORD) == 302


@pytest.mark.parametrize("outcome, password, counted", [
    ("a right password", PASSWORD, 0),
    ("a wrong password", WRONG, 2),  # one count per address, one per account and address
])
def test_only_failures_are_counted(app, customer, outcome, password, counted):
    _browser_at(app, "198.51.100.7").login(customer, password)
    with app.app_context():
        assert (db.session.scalar(select(func.sum(RateLimitCounter.count))) or 0) == counted, outcome


def test_counts_whose_window_has_passed_are_pruned(app, customer):
    with app.app_context():
        db.session.add_all([RateLimitCounter(key_hash=f"{n:064d}", count=3, expires_at=time.time() - 1)
                            for n in range(50)])
        db.session.commit()
    _browser_at(app, "198.51.100.7").login(customer, WRONG)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 2


def test_counts_made_at_the_same_moment_all_land(app):
    """Workers count in one statement each, never read-then-write: none of their counts is lost."""
    from concurrent.futures import ThreadPoolExecutor

    from portal.auth.throttle import DatabaseStorage

    storage, threads, each = DatabaseStorage(), 8, 10

    def count():
        with app.app_context():
            for _ in range(each):
                storage.incr("login 198.51.100.7 owner@example.com", 900)

    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(count) for _ in range(threads)]:
            done.result(timeout=60)
    with app.app_context():
        assert storage.get("login 198.51.100.7 owner@example.com") == threads * each
