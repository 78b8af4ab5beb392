"""On PostgreSQL an authorization is two statements, each committing on its own (no BEGIN, no
COMMIT, and the key read with the account: three round trips fewer per call), unless it must close
lapsed holds first."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event, update

from portal.extensions import db
from portal.models import Hold
from portal.models.types import utcnow
from tests.api.test_authorize_api import NIGHT, holds, prepaid


@contextmanager
def statements(app):
    """The (first word, whether it ran inside a transaction) of every statement sent meanwhile."""
    seen = []

    def note(connection, cursor, statement, parameters, context, executemany):
        status = connection.connection.dbapi_connection.info.transaction_status
        seen.append((statement.split()[0].upper(), status != TransactionStatus.IDLE))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


@pytest.fixture
def postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite keeps its transactions: its write lock is what orders its writers")


def authorize(switch_api, uuid):
    response = switch_api.post("/authorize", json={"account": "P1", "callee": "4915112345678", "uuid": uuid,
                                                   "at": NIGHT})
    assert response.status_code == 200 and response.get_json()["allowed"] is True
    return response.get_json()


def test_an_authorization_with_a_hold_is_two_statements_each_committing_on_its_own(
        app, postgresql, switch_api, demo):
    prepaid(app, "P1", "30.00")
    authorize(switch_api, "warm-up")  # the rating engine is built on the first call
    with statements(app) as sent:
        authorize(switch_api, "call-1")
    # The switch's key with the account and everything the decision needs, then the hold placed in
    # one statement; no BEGIN before them and no COMMIT after.
    assert sent == [("SELECT", False), ("WITH", False)]
    assert holds(app) == {"warm-up": "open", "call-1": "open"}


def test_closing_lapsed_holds_first_makes_the_authorization_one_transaction(app, postgresql, switch_api, demo):
    prepaid(app, "P1", "30.00")
    authorize(switch_api, "old-call")
    with app.app_context():
        db.session.execute(update(Hold).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    with statements(app) as sent:
        authorize(switch_api, "new-call")
    words = [word for word, _ in sent]
    begun = words.index("BEGIN")
    assert words[:begun] == ["SELECT"] and all(inside for _, inside in sent[begun + 1:])
    # The account locked, its lapsed holds expired, and the call decided and held under the lock.
    assert words[begun + 1] == "SELECT" and "UPDATE" in words[begun + 2:] and words[-1] == "WITH"
    assert holds(app) == {"old-call": "expired", "new-call": "open"}
