"""Holds: money reserved for a call in progress so simultaneous calls cannot overspend.
A hold is placed at authorization, settled by the call's CDR, or lapses after its expiry.

Every open hold's amount is also in its account's `held`, changed in the same transaction as the
hold: placing a hold adds to it, settling or expiring one takes it off (`release`)."""
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam, exists, func, insert, literal, select, true, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.extensions import db
from portal.ledger.errors import LedgerError
from portal.models import Account, Hold
from portal.models.bulk import chunks
from portal.models.types import utcnow
from portal.transactions import autocommitting, commit_without_fsync


class CallUuidConflict(LedgerError):
    """A call uuid names one call of one account: it cannot be authorized for another account, nor
    again once its call is over."""

    code = "call_uuid_conflict"
    status = 409


#: Built once, like the other statements authorization runs on every call. The account's `held`
#: grows by the amount only when balance + credit limit − held covers it and the call has no hold
#: yet: what is available is read and reserved in one statement, on one row. PostgreSQL re-checks
#: the condition on the newest version of the row when another transaction changed it meanwhile
#: (READ COMMITTED), so reservations of one account serialize on its row and never overspend.
_RESERVE = (update(Account)
            .where(Account.id == bindparam("account_id"),
                   Account.balance + Account.credit_limit - Account.held >= bindparam("amount"),
                   ~exists().where(Hold.call_uuid == bindparam("call_uuid")))
            .values(held=Account.held + bindparam("amount"))
            .returning(Account.currency))
_INSERT = insert(Hold)
#: PostgreSQL: the reservation and the hold's row in one statement, which commits on its own where
#: statements autocommit (`portal.transactions`): the hold is placed whole or not at all. Its
#: commit does not wait for the write-ahead log to reach the disk (synchronous_commit off, for this
#: transaction only), the trade SQLite's holds make too (`commit_without_fsync`): such a commit is
#: never half there, and only a crash of the server or of its machine can take back the last
#: fraction of a second of them. The hold's own values are bound under names no column of
#: `accounts` has, or the UPDATE would set them too.
_reserved = _RESERVE.returning(Account.id).cte("reserved")
_unsynced = select(func.set_config("synchronous_commit", "off", True).label("setting")).cte("unsynced")
_PLACE = insert(Hold).from_select(
    ["account_id", "currency", "status", "call_uuid", "amount", "max_duration", "created_at", "expires_at"],
    select(_reserved.c.id, _reserved.c.currency, literal("open"), bindparam("call_uuid"), bindparam("amount"),
           *(bindparam(f"hold_{name}", type_=Hold.__table__.c[name].type)
             for name in ("max_duration", "created_at", "expires_at")))
    .select_from(_reserved.join(_unsynced, true()))).returning(Hold.id)
_SETTLE = (update(Hold).where(Hold.call_uuid.in_(bindparam("call_uuids", expanding=True)), Hold.status == "open")
           .values(status="settled", closed_at=bindparam("now")).returning(Hold.account_id, Hold.amount))
_ANY_OPEN = select(Hold.id).where(Hold.status == "open").limit(1)
_HOLDERS = (select(Hold.account_id).distinct()
            .where(Hold.call_uuid.in_(bindparam("call_uuids", expanding=True)), Hold.status == "open"))
_RELEASE = update(Account).where(Account.id == bindparam("account_id")).values(
    held=Account.held - bindparam("amount"))
_EXPIRE_ALL = (update(Hold).where(Hold.status == "open", Hold.expires_at <= bindparam("lapsed_by"))
               .values(status="expired", closed_at=bindparam("lapsed_by")).returning(Hold.account_id, Hold.amount))
_EXPIRE_ACCOUNT = _EXPIRE_ALL.where(Hold.account_id == bindparam("holder"))


def place_hold(account_id, call_uuid, amount, max_duration, now=None):
    """Reserve `amount` for `call_uuid` if the account's balance + credit limit − held covers it;
    answers whether it did. Lapsed holds count until they are expired, so a caller that wants them
    not to expires them first (authorization does). It does not place one when the call has a hold
    already or the money is no longer there; a caller that then decides again takes the account's
    lock first (`lock_account_row`). A uuid another account places at the same moment is refused
    by its unique index: CallUuidConflict, and the caller rolls back, unless the statement was on
    its own (autocommitted), which then left nothing behind and answers False like the others."""
    now = now or utcnow()
    db.session.flush()  # a hold settled in this session and not yet written counts as settled
    grace = current_app.config["HOLD_GRACE_SECONDS"]
    hold = {"max_duration": max_duration, "created_at": now, "expires_at": now + timedelta(seconds=max_duration + grace)}
    on_its_own = autocommitting()
    try:
        return _reserve({"account_id": account_id, "call_uuid": call_uuid, "amount": amount}, hold)
    except IntegrityError:
        if on_its_own:
            return False
        raise CallUuidConflict(f"Call {call_uuid} was just authorized for another account; every call needs "
                               "its own uuid.", uuid="already used by another account") from None


def _reserve(reservation, hold):
    """One statement on PostgreSQL; on SQLite two, under the database's write lock that the first
    takes, and committed without the log's fsync (see `commit_without_fsync`)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        values = {**reservation, **{f"hold_{name}": value for name, value in hold.items()}}
        return connection.execute(_PLACE, values).first() is not None
    commit_without_fsync()
    reserved = connection.execute(_RESERVE, reservation).first()
    if reserved is None:
        return False
    connection.execute(_INSERT, {**reservation, **hold, "currency": reserved.currency, "status": "open"})
    return True


def holders(call_uuids):
    """The accounts whose open holds these calls' CDRs will settle: for CDR ingest to lock them
    with the calls' own accounts, before it settles anything (`portal.ledger.locks`). A file
    imported while no call is in progress costs one query, not one per chunk of uuids."""
    if not call_uuids or db.session.scalar(_ANY_OPEN) is None:
        return set()
    return {account_id for chunk in chunks(call_uuids)
            for account_id in db.session.scalars(_HOLDERS, {"call_uuids": chunk})}


def settle_holds(call_uuids, now=None):
    """The calls' CDRs arrived: their charges replace the reservations. Returns what the settled
    holds reserved, by account, for the caller to `release` under the locks it takes anyway (CDR
    ingest charges the same accounts, and takes every lock in one order)."""
    now = now or utcnow()
    settled = [row for chunk in chunks(call_uuids) for row in db.session.execute(
        _SETTLE, {"call_uuids": chunk, "now": now}, execution_options={"synchronize_session": False})]
    _refresh_loaded_holds()
    return _by_account(settled)


def release(amounts):
    """Take closed holds' amounts ({account id: amount}) off their accounts' `held`, in account
    order: the one order every lock is taken in, so two transactions never wait for each other."""
    for account_id in sorted(amounts):
        if amounts[account_id]:
            db.session.execute(_RELEASE, {"account_id": account_id, "amount": amounts[account_id]})


def expire_holds(now=None, account_id=None, actor=audit.SYSTEM):
    """Mark lapsed holds expired (one account's, or everyone's); returns how many. Lapsed holds
    already count for nothing in `available`: this makes their status say so and takes them off
    `held`. A run that expired any leaves one audit event with their number (each hold row keeps
    its call, amount and times)."""
    now = now or utcnow()
    if account_id is not None:
        statement, values = _EXPIRE_ACCOUNT, {"holder": account_id, "lapsed_by": now}
    else:
        statement, values = _EXPIRE_ALL, {"lapsed_by": now}
    # The session flushes first, but does not look for the rows among the objects it holds (that
    # costs more than the UPDATE); held objects are refreshed by hand instead.
    expired = db.session.execute(statement, values, execution_options={"synchronize_session": False}).all()
    if expired:
        _refresh_loaded_holds()
        release(_by_account(expired))
        scope = ("account", db.session.get(Account, account_id).code) if account_id is not None else ("holds", "all")
        audit.record(actor, "expire_holds", *scope, count=len(expired), lapsed_by=now)
    return len(expired)


def _by_account(closed):
    """{account id: total} of closed holds' (account id, amount) rows."""
    totals = defaultdict(Decimal)
    for account_id, amount in closed:
        totals[account_id] += amount
    return dict(totals)


def _refresh_loaded_holds():
    for loaded in [obj for obj in db.session.identity_map.values() if isinstance(obj, Hold)]:
        db.session.expire(loaded)
