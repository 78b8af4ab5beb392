"""Holds: money reserved for a call in progress so simultaneous calls cannot overspend.
A hold is placed at authorization, settled by the call's CDR, or lapses after its expiry.

Every open hold's amount is also in its account's `held`, changed in the same transaction as the
hold: placing a hold adds to it, settling or expiring one takes it off (`release`)."""
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam, exists, insert, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.extensions import commit_without_fsync, db
from portal.ledger.errors import LedgerError
from portal.ledger.locks import lock_account_row
from portal.models import Account, Hold
from portal.models.bulk import chunks
from portal.models.types import utcnow


class CallUuidConflict(LedgerError):
    """A call uuid names one call of one account: it cannot be authorized for another account, nor
    again once its call is over."""

    code = "call_uuid_conflict"
    status = 409


#: Built once, like the other statements authorization runs on every call. The account's `held`
#: grows by the amount only when balance + credit limit − held covers it and the call has no hold
#: yet: what is available is read and reserved in one statement, on one row.
_RESERVE = (update(Account)
            .where(Account.id == bindparam("account_id"),
                   Account.balance + Account.credit_limit - Account.held >= bindparam("amount"),
                   ~exists().where(Hold.call_uuid == bindparam("call_uuid")))
            .values(held=Account.held + bindparam("amount"))
            .returning(Account.currency))
_INSERT = insert(Hold)
_SETTLE = (update(Hold).where(Hold.call_uuid.in_(bindparam("call_uuids", expanding=True)), Hold.status == "open")
           .values(status="settled", closed_at=bindparam("now")).returning(Hold.account_id, Hold.amount))
_RELEASE = update(Account).where(Account.id == bindparam("account_id")).values(
    held=Account.held - bindparam("amount"))
_EXPIRE_ALL = (update(Hold).where(Hold.status == "open", Hold.expires_at <= bindparam("lapsed_by"))
               .values(status="expired", closed_at=bindparam("lapsed_by")).returning(Hold.account_id, Hold.amount))
_EXPIRE_ACCOUNT = _EXPIRE_ALL.where(Hold.account_id == bindparam("holder"))


def place_hold(account_id, call_uuid, amount, max_duration, now=None):
    """Reserve `amount` for `call_uuid` if the account's balance + credit limit − held covers it;
    answers whether it did. Lapsed holds count until they are expired, so a caller that wants them
    not to expires them first (authorization does). It does not place one when the call has a hold
    already or the money is no longer there, and either way the account stays locked until the
    transaction ends, so the caller can read again and decide under the lock. A uuid another
    account places at the same moment is refused by its unique index (CallUuidConflict; the caller
    rolls back)."""
    now = now or utcnow()
    db.session.flush()  # a hold settled in this session and not yet written counts as settled
    lock_account_row(account_id)
    commit_without_fsync()
    connection = db.session.connection()
    reserved = connection.execute(_RESERVE, {"account_id": account_id, "amount": amount,
                                             "call_uuid": call_uuid}).first()
    if reserved is None:
        return False
    grace = current_app.config["HOLD_GRACE_SECONDS"]
    try:
        connection.execute(_INSERT, {"account_id": account_id, "call_uuid": call_uuid, "currency": reserved.currency,
                                     "amount": amount, "max_duration": max_duration, "status": "open",
                                     "created_at": now, "expires_at": now + timedelta(seconds=max_duration + grace)})
    except IntegrityError:
        raise CallUuidConflict(f"Call {call_uuid} was just authorized for another account; every call needs "
                               "its own uuid.", uuid="already used by another account") from None
    return True


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
