"""The safety net under the lock order (`portal.transactions.commit_retrying`): a transaction that
PostgreSQL cancels as a deadlock's victim runs again, logged, at most ATTEMPTS times in all. The
deadlocks here are real: another connection takes two account rows in the opposite order."""
import logging
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, OperationalError

from portal import transactions
from portal.extensions import db
from portal.ledger.locks import lock_account_row
from tests import factories

pytestmark = pytest.mark.postgres
LOCK = text("SELECT id FROM accounts WHERE id = :id FOR UPDATE")


@pytest.fixture
def two_accounts(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("deadlocks need PostgreSQL's row locks: run with DATABASE_URL=postgresql://…")
    first, second = factories.account().id, factories.account().id
    db.session.commit()
    return first, second


class OppositeOrder:
    """Makes `deadlocks` runs of the work below deadlock: for each, another connection locks
    `second` as soon as the work holds `first`, and asks for `first` once the work waits for
    `second`. The work waits first, so its deadlock check (after PostgreSQL's deadlock_timeout)
    runs first and cancels it; the other connection then gets `first` and commits."""

    def __init__(self, first, second, deadlocks):
        self.first, self.second, self.deadlocks = first, second, deadlocks
        self.runs = 0
        self.partners = []
        self.engine = db.engine  # the threads have no app context

    def _partner(self, holding_first, holding_second):
        with self.engine.connect() as connection:
            connection.execute(LOCK, {"id": self.second})
            holding_second.set()
            holding_first.wait(timeout=10)
            threading.Event().wait(0.2)  # the work is waiting for `second` by now
            connection.execute(LOCK, {"id": self.first})
            connection.commit()

    def work(self):
        self.runs += 1
        lock_account_row(self.first)
        if self.runs <= self.deadlocks:
            holding_first, holding_second = threading.Event(), threading.Event()
            partner = threading.Thread(target=self._partner, args=(holding_first, holding_second))
            partner.start()
            self.partners.append(partner)
            assert holding_second.wait(timeout=10)
            holding_first.set()
        lock_account_row(self.second)
        return "done"

    def join(self):
        for partner in self.partners:
            partner.join(timeout=30)
            assert not partner.is_alive()


def _logged(caplog):
    return [(r.levelname, r.getMessage().split(":")[:2]) for r in caplog.records if r.name == transactions.__name__]


def test_a_deadlock_victim_runs_again_and_is_logged(two_accounts, caplog):
    deadlock = OppositeOrder(*two_accounts, deadlocks=1)
    with caplog.at_level(logging.WARNING, logger=transactions.__name__):
        assert transactions.commit_retrying(deadlock.work, "test work") == "done"
    deadlock.join()
    assert deadlock.runs == 2
    assert _logged(caplog) == [("WARNING", ["test work", " a deadlock, run again (2 of 3)"])]


def test_the_retries_are_bounded_and_the_last_deadlock_is_raised(two_accounts, caplog):
    deadlock = OppositeOrder(*two_accounts, deadlocks=transactions.ATTEMPTS)
    with caplog.at_level(logging.WARNING, logger=transactions.__name__), \
            pytest.raises(OperationalError) as raised:
        transactions.commit_retrying(deadlock.work, "test work")
    deadlock.join()
    assert raised.value.orig.sqlstate == "40P01" and deadlock.runs == transactions.ATTEMPTS == 3
    assert _logged(caplog) == [("WARNING", ["test work", " a deadlock, run again (2 of 3)"]),
                               ("WARNING", ["test work", " a deadlock, run again (3 of 3)"]),
                               ("ERROR", ["test work", " a deadlock in each of 3 runs, given up"])]


def test_other_database_errors_are_not_run_again(two_accounts, caplog):
    runs = []

    def work():
        runs.append(1)
        db.session.execute(text("SELECT 1 / 0"))

    with caplog.at_level(logging.WARNING, logger=transactions.__name__), pytest.raises(DataError):
        transactions.commit_retrying(work, "test work")
    assert runs == [1] and _logged(caplog) == []
