import importlib

import pytest

import config
from portal import create_app


def test_factory_applies_overrides(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40})
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    assert {"auth", "customer", "api"} <= set(app.blueprints)
    assert app.url_map.bind("localhost").match("/admin/")[0] == "admin.index"


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    reloaded = importlib.reload(config)
    assert reloaded.Config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{reloaded.INSTANCE_DIR / 'voip2bill.sqlite'}"


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
    ("postgresql://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
    ("postgresql+psycopg://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_from_environment(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert importlib.reload(config).Config.SQLALCHEMY_DATABASE_URI == expected
    monkeypatch.delenv("DATABASE_URL")
    importlib.reload(config)


@pytest.mark.parametrize("key", ["", "short-key"])
def test_production_refuses_missing_or_short_secret_key(database_url, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": database_url})


def test_production_accepts_long_secret_key(database_url):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 48, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("debug, secure", [(False, True), (True, False)])
def test_session_cookie_is_secure_outside_debug(database_url, monkeypatch, debug, secure):
    monkeypatch.setenv("FLASK_DEBUG", "1" if debug else "0")
    app = create_app({"SECRET_KEY": "s" * 48, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SESSION_COOKIE_SECURE": None})
    assert app.debug is debug
    assert app.config["SESSION_COOKIE_SECURE"] is secure


def test_development_without_key_gets_a_random_persistent_one(database_url, tmp_path, monkeypatch):
    monkeypatch.setattr("portal.ROOT", tmp_path)
    first = create_app({"SECRET_KEY": "", "SQLALCHEMY_DATABASE_URI": database_url})
    second = create_app({"SECRET_KEY": "", "SQLALCHEMY_DATABASE_URI": database_url})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_production_and_its_key_are_read_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("VOIP2BILL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "short")
    importlib.reload(config)
    try:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"SQLALCHEMY_DATABASE_URI": database_url})
        monkeypatch.setenv("SECRET_KEY", "e" * 40)
        importlib.reload(config)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
        assert app.config["ENV_NAME"] == "production" and app.secret_key == "e" * 40
    finally:
        monkeypatch.delenv("VOIP2BILL_ENV")
        monkeypatch.delenv("SECRET_KEY")
        importlib.reload(config)


def test_processes_starting_at_once_share_one_whole_development_key(tmp_path):
    """Two workers (or two test runs) starting together must not end with two keys, nor read one
    half-written."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from portal import _instance_secret

    starting = Barrier(16)

    def start(_):
        starting.wait()
        return _instance_secret(tmp_path)

    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(start, range(16)))
    assert len(keys) == 1 and len(keys.pop()) >= 32
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no drafts left behind
