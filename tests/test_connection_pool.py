"""Pooled connections are checked before use only when they have lain idle (HikariCP's way), so a
connection in steady use costs no round trip, and one that died while idle never reaches a request."""
import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from portal.extensions import db
from tests.conftest import make_app


@pytest.fixture
def pinging_app(_schema):
    """An app whose pool pings every connection that went back to it (idle for more than 0 s)."""
    app = make_app(_schema, POOL_PING_AFTER_IDLE_SECONDS=0.0)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _pooled_connection():
    """The DBAPI connection the session uses now, returned to the pool afterwards."""
    raw = db.session.connection().connection.dbapi_connection
    db.session.remove()
    return raw


def _kill(raw, database_url):
    """Break a pooled connection behind the pool's back, as a server restart does."""
    if db.engine.dialect.name == "sqlite":
        raw.close()
        return
    pid = raw.info.backend_pid
    server = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    server.dispose()


def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(pinging_app, _schema):
    with pinging_app.app_context():
        dead = _pooled_connection()
        _kill(dead, _schema)
        time.sleep(0.05)
        assert db.session.execute(select(1)).scalar() == 1  # no error reaches the request
        assert db.session.connection().connection.dbapi_connection is not dead


@pytest.mark.parametrize("idle_seconds, pings", [(3600.0, 0), (0.0, 3)])
def test_only_a_connection_idle_longer_than_the_window_is_pinged(_schema, monkeypatch, idle_seconds, pings):
    app = make_app(_schema, POOL_PING_AFTER_IDLE_SECONDS=idle_seconds)
    with app.app_context():
        pinged = []
        real_ping = db.engine.dialect.do_ping
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda raw: pinged.append(raw) or real_ping(raw))
        _pooled_connection()  # a new connection: not pinged
        for _ in range(3):
            time.sleep(0.01)
            _pooled_connection()
        assert len(pinged) == pings
        db.engine.dispose()
