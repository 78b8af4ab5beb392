"""How the session's work reaches the database: over a pooled connection that is checked when it
has lain idle, in one transaction per request (the default) or statement by statement on the
switch's hot path, and when a commit may skip its fsync."""
import logging
import random
import time
from functools import wraps

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import Pool

from portal.extensions import db

log = logging.getLogger(__name__)

#: When a pooled connection went back to the pool (in its record's `info`).
_RETURNED_AT = "voip2bill_returned_at"


def ping_idle_connections(engine, idle_seconds):
    """Check a pooled connection at checkout only when it has lain unused for over `idle_seconds`,
    as HikariCP does (its alive-bypass window). A connection goes stale while idle: the server
    restarted, or a firewall dropped it. One back in the pool a moment ago was alive then, and
    pinging it too (SQLAlchemy's pool_pre_ping) would cost a round trip on every request. A dead
    one is replaced before the request sees it."""

    @event.listens_for(engine, "checkin")
    def _note_return(dbapi_connection, record):
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"an idle pooled connection is gone: {error}") from error  # the pool reconnects


#: Marks a pooled SQLite connection whose commits skip the log's fsync until it goes back to the pool.
_UNSYNCED = "voip2bill_unsynced"


def commit_without_fsync():
    """On SQLite, let the current transaction's commit skip the fsync of the write-ahead log
    (synchronous=NORMAL). Such a commit is never half there, and survives the application's crash;
    only a power loss or an operating system crash can take it back, with whatever else came after
    the last synced commit. For writes that may be lost that way and are made on every call, so
    that the fsync, done while the database's write lock is held, does not queue every other
    writer: a call's hold (the call's CDR charges it all the same). The connection syncs every
    commit again once it is back in the pool. A transaction that has written already (SQLite
    changes the setting only between transactions), and PostgreSQL's, sync as always."""
    connection = db.session.connection()
    if (connection.dialect.name == "sqlite" and not connection.connection.info.get(_UNSYNCED)
            and not connection.connection.dbapi_connection.in_transaction):  # SQLite refuses it within one
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        connection.connection.info[_UNSYNCED] = True


@event.listens_for(Pool, "checkin")
def _sync_again(dbapi_connection, connection_record):
    if connection_record.info.pop(_UNSYNCED, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")


def autocommit_statements(view):
    """On PostgreSQL, the view's statements each commit on their own: no BEGIN before the first,
    no COMMIT after the last. For the switch's hot path (authorization), whose reads need no
    transaction (under READ COMMITTED each statement reads a snapshot of its own either way) and
    whose one write is a single statement: two round trips to the server fewer on every call. A
    view that needs several statements to hold together opens a transaction (`begin_transaction`),
    which the request's commit ends. SQLite keeps its transactions: its write lock is what orders
    its writers."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return wrapped


def autocommitting():
    """Whether the session's next statement commits on its own (see `autocommit_statements`)."""
    connection = db.session.connection()
    return (connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
            and connection.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE)


def begin_transaction():
    """Where statements autocommit, make the ones from here on one transaction, ended by the
    request's commit or rollback, and the locks they take held until then; elsewhere the session's
    transaction is that already."""
    if autocommitting():
        db.session.connection().exec_driver_sql("BEGIN")


#: PostgreSQL's deadlock_detected and serialization_failure: it cancelled the transaction so that
#: another could go on, and the same work run again may well succeed.
RETRYABLE = {"40P01": "a deadlock", "40001": "a serialization failure"}
#: Runs of one transaction at most (the first included).
ATTEMPTS = 3


def commit_retrying(work, what):
    """`work()` committed, run again from the start (after a rollback) when PostgreSQL cancels its
    transaction as a deadlock's victim or a serialization failure, at most ATTEMPTS times in all,
    each time logged: a safety net only, as the locks are taken in one order
    (`portal.ledger.locks`) and a retry logged here is a bug to fix. `work` must be safe to run
    again: everything it wrote is rolled back first. Other database errors roll back and are
    raised at once; any other exception goes up as it is."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except DBAPIError as error:
            db.session.rollback()
            reason = RETRYABLE.get(getattr(error.orig, "sqlstate", None))
            if reason is None or attempt == ATTEMPTS:
                if reason is not None:
                    log.error("%s: %s in each of %d runs, given up: %s", what, reason, ATTEMPTS, error.orig)
                raise
            log.warning("%s: %s, run again (%d of %d): %s", what, reason, attempt + 1, ATTEMPTS, error.orig)
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # apart, so that they do not meet again
