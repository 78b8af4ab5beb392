"""Fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL names one) built by the
migrations once per run, emptied after every test; the app, a client, a CLI runner, sign-in help."""
import os
import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.reference import load_reference_data

#: Loaded once per run and kept between tests.
KEPT_TABLES = {"currencies", "countries", "prefixes", "hangup_causes", "alembic_version", "tariff_version"}


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def make_app(database_url, **overrides):
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-" + "x" * 40,
              "SESSION_COOKIE_SECURE": False,
              # Still Argon2id, at the lowest cost: the suite creates and signs in thousands of users.
              "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1,
              # Month closes print in this process; tests/invoicing/test_parallel_close.py uses workers.
              "INVOICE_WORKERS": 1}
    config.update(overrides)
    return create_app(config)


def drop_everything():
    """Start from an empty database, whatever an earlier run left."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def empty_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def _schema(database_url):
    app = make_app(database_url)
    with app.app_context():
        drop_everything()
        upgrade()
        load_reference_data()
        db.session.commit()
        db.engine.dispose()
    return database_url


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """empty_database_url(name) → a brand-new database of the run's kind: a new SQLite file, or a new
    PostgreSQL database beside the run's (dropped afterwards)."""
    url = make_url(database_url)
    made = []
    admin_engine = None
    if url.get_backend_name() == "postgresql":
        admin_engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def make(name):
        if admin_engine is None:
            return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        database = f"{url.database}_{name}"
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        made.append(database)
        return url.set(database=database).render_as_string(hide_password=False)

    yield make
    if admin_engine is not None:
        with admin_engine.connect() as connection:
            for database in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture
def app(_schema):
    app = make_app(_schema)
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def form_csrf_token(page, action):
    """The CSRF token of the form on this HTML page that posts to `action` ("" for a form that posts
    to its own page), read from that form's own HTML."""
    for attributes, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.DOTALL):
        target = re.search(r'\baction="([^"]*)"', attributes)
        if (target.group(1) if target else "") == action:
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
            assert match, f"no CSRF token in the form posting to {action!r}"
            return match.group(1)
    raise AssertionError(f"no form posting to {action!r}")


class AuthActions:
    """Signs in through the real form, CSRF token included."""

    def __init__(self, client):
        self._client = client

    def csrf_token(self, path="/login"):
        page = self._client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def form_token(self, path, action):
        """The CSRF token of the form on `path` that posts to `action`."""
        return form_csrf_token(self._client.get(path).get_data(as_text=True), action)

    def login(self, email, password, next_url=None):
        data = {"email": email, "password": password, "csrf_token": self.form_token("/login", "/login")}
        if next_url:
            data["next"] = next_url
        return self._client.post("/login", data=data)

    def logout(self, everywhere=False):
        data = {"csrf_token": self.form_token("/password", "/logout")}
        if everywhere:
            data["everywhere"] = "1"
        return self._client.post("/logout", data=data)


@pytest.fixture
def auth(client):
    return AuthActions(client)
