"""The sign-in throttle's counts, kept where every worker process sees them.

Flask-Limiter throttles sign-in (see `portal.auth.views`); its counts live in the storage that
`RATELIMIT_STORAGE_URI` names. In each process's memory (`memory://`) every gunicorn worker kept
counts of its own, and the limits multiplied by the number of workers. `database://`, the default,
keeps them in the application's database (`DatabaseStorage` below); `redis://…` in Redis, through
the `limits` library, when the `redis` package is installed.

The limits are per client address and per (account, address), never per account alone: anyone
knowing a customer's e-mail could otherwise refuse the customer's right password. A per-account
ceiling across addresses, sparing the owner, would need to know the owner's browser apart from an
attacker's; the per-address limit already bounds what each address can try across all accounts.
"""
import time

from flask import request
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from portal.auth.api_keys import sha256_hex
from portal.extensions import db
from portal.models import RateLimitCounter

COUNTERS = RateLimitCounter.__table__


def failed_sign_in(response):
    """Only failed sign-ins count: a success redirects, a refusal (429) is no attempt."""
    return response.status_code == 401


def account_at_address():
    """The throttle's key for the e-mail address tried from this client address (which never holds
    a space, so no e-mail can make two clients' keys alike)."""
    return f"login {get_remote_address()} {request.form.get('email', '').strip().lower()}"


class DatabaseStorage(Storage):
    """Fixed-window counters of the `limits` library in the `rate_limit_counters` table. Each call is
    a short transaction of its own, committed at once: the other workers see a count as soon as it
    is made, and the request's own rollback cannot take it back."""

    STORAGE_SCHEME = ["database"]  # noqa: RUF012  (the `limits` library reads it as a class list)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key, expiry, amount=1):
        """The count after adding `amount`; a window that has passed starts again. Lapsed counters
        are deleted first, so the table holds only the windows still open."""
        now = time.time()
        with db.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
        with db.engine.begin() as connection:
            return connection.execute(_counting(connection.dialect.name, sha256_hex(key), amount, now,
                                                now + expiry)).scalar_one()

    def get(self, key):
        with db.engine.connect() as connection:
            return connection.scalar(select(COUNTERS.c.count).where(
                COUNTERS.c.key_hash == sha256_hex(key), COUNTERS.c.expires_at > time.time())) or 0

    def get_expiry(self, key):
        with db.engine.connect() as connection:
            return connection.scalar(select(COUNTERS.c.expires_at).where(
                COUNTERS.c.key_hash == sha256_hex(key))) or time.time()

    def check(self):
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self):
        with db.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key):
        with db.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key_hash == sha256_hex(key)))


def _counting(dialect, key_hash, amount, now, expires_at):
    """One statement that adds to a counter, creating it or restarting its lapsed window, and
    returns the count: two workers counting at once both land."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    lapsed = COUNTERS.c.expires_at <= now
    return (insert(COUNTERS).values(key_hash=key_hash, count=amount, expires_at=expires_at)
            .on_conflict_do_update(index_elements=[COUNTERS.c.key_hash], set_={
                "count": case((lapsed, amount), else_=COUNTERS.c.count + amount),
                "expires_at": case((lapsed, expires_at), else_=COUNTERS.c.expires_at)})
            .returning(COUNTERS.c.count))
