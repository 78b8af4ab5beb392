"""Serialize money operations on one account.

PostgreSQL: `SELECT … FOR UPDATE` on the account row. SQLite has no row locks; a no-op UPDATE takes
its database write lock at once, so two operations never both read a balance and then both write.
The no-op writes `balance`, not the key: rewriting `id` made SQLite check every table that refers
to accounts, and those checks grew with the CDR and ledger tables (an import slowed by half at a
million calls).
"""
from sqlalchemy import bindparam, select, update

from portal.extensions import db
from portal.models import Account

#: Built once: every money operation and every authorization with a hold runs them.
_TOUCH = update(Account).where(Account.id == bindparam("locked_id")).values(balance=Account.balance)
_LOCKED = select(Account).where(Account.id == bindparam("account_id")).with_for_update().execution_options(
    populate_existing=True)
_ROW_LOCK = select(Account.id).where(Account.id == bindparam("account_id")).with_for_update()


def lock_account(account_id):
    """The account row, locked until the transaction ends, with its balance freshly read."""
    if db.session.get_bind().dialect.name == "sqlite":
        lock_account_row(account_id)
    return db.session.scalar(_LOCKED, {"account_id": account_id})


def lock_account_row(account_id):
    """The account's lock until the transaction ends, without reading the row: for a caller that
    reads the account's money next and decides on it (authorization, when the money it read first
    was gone by the time it reserved; `lock_account` on SQLite, before it reads the row)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.connection().execute(_TOUCH, {"locked_id": account_id})  # Core: no ORM bookkeeping
    else:
        db.session.connection().execute(_ROW_LOCK, {"account_id": account_id})
