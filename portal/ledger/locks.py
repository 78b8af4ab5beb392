"""Serialize money operations on one account.

PostgreSQL: `SELECT … FOR UPDATE` on the account row. SQLite has no row locks; a no-op UPDATE takes
its database write lock at once, so two operations never both read a balance and then both write.
The no-op writes `balance`, not the key: rewriting `id` made SQLite check every table that refers
to accounts, and those checks grew with the CDR and ledger tables (an import slowed by half at a
million calls).

Lock order: a transaction that needs several accounts takes them all at once, by id ascending,
before it writes anything else (`lock_accounts`). Writing first is what deadlocked CDR ingest: the
insert of a CDR takes a key-share lock on its account (the foreign key's check), which FOR UPDATE
waits for, so two batches of one account that had each inserted then each waited for the other.
"""
from sqlalchemy import bindparam, select, update

from portal.extensions import db
from portal.models import Account
from portal.models.bulk import chunks

#: Built once: every money operation and every authorization with a hold runs them.
_TOUCH = update(Account).where(Account.id == bindparam("locked_id")).values(balance=Account.balance)
_LOCKED = select(Account).where(Account.id == bindparam("account_id")).with_for_update().execution_options(
    populate_existing=True)
_ROW_LOCK = select(Account.id).where(Account.id == bindparam("account_id")).with_for_update()
#: PostgreSQL locks the rows as the sort hands them over: in id order.
_ROW_LOCKS = (select(Account.id).where(Account.id.in_(bindparam("account_ids", expanding=True)))
              .order_by(Account.id).with_for_update())


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


def lock_accounts(account_ids):
    """Lock these accounts until the transaction ends, in the one order (id ascending), a statement
    per chunk of ids: for a transaction that will need several (CDR ingest), before it writes
    anything, so that it holds nothing another waits for while it waits itself. On SQLite one lock
    is every account's lock."""
    if not account_ids:
        return
    if db.session.get_bind().dialect.name == "sqlite":
        lock_account_row(min(account_ids))
    else:
        for chunk in chunks(sorted(account_ids)):  # chunk after chunk, still in id order
            db.session.connection().execute(_ROW_LOCKS, {"account_ids": chunk})
