"""Holds: money reserved for a call in progress so simultaneous calls cannot overspend.
A hold is placed at authorization, settled by the call's CDR, or lapses after its expiry."""
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.extensions import db
from portal.ledger.balance import available
from portal.ledger.errors import LedgerError
from portal.models import Account, Hold
from portal.models.types import utcnow


class CallUuidConflict(LedgerError):
    """A call uuid names one call of one account: it cannot be authorized for another account, nor
    again once its call is over."""

    code = "call_uuid_conflict"
    status = 409


#: Built once, like the other statements authorization runs on every call.
_BY_UUID = select(Hold).where(Hold.call_uuid == bindparam("call_uuid"))
_EXPIRE_ACCOUNT = update(Hold).where(Hold.account_id == bindparam("holder"), Hold.status == "open",
                                     Hold.expires_at <= bindparam("lapsed_by")).values(status="expired",
                                                                                 closed_at=bindparam("lapsed_by"))


def call_hold(account, call_uuid):
    """The hold already placed for `call_uuid` (open, settled or expired), or None. A uuid that
    another account holds is refused rather than shown to this one."""
    hold = db.session.scalar(_BY_UUID, {"call_uuid": call_uuid})
    if hold is not None and hold.account_id != account.id:
        raise CallUuidConflict(f"Call {call_uuid} was authorized for another account; every call needs its "
                               "own uuid.", uuid="already used by another account")
    return hold


def place_hold(locked_account, call_uuid, amount, max_duration, now=None, available_now=None):
    """Reserve `amount` (capped by what is available) for `call_uuid`. The caller holds the account
    lock. Asking again for the same call returns the hold it already has. Should another account
    place the same uuid at the same moment, the unique uuid refuses the second one, whose
    transaction the caller then rolls back. A caller that has, under this lock, found the call has
    no hold and read what is available (authorization does) passes that amount as `available_now`,
    sparing both reads on the hot path."""
    if available_now is None:
        existing = call_hold(locked_account, call_uuid)
        if existing is not None:
            return existing
        available_now = available(locked_account, now)
    now = now or utcnow()
    grace = current_app.config["HOLD_GRACE_SECONDS"]
    hold = Hold(account_id=locked_account.id, call_uuid=call_uuid, currency=locked_account.currency,
                amount=max(min(amount, available_now), Decimal(0)), max_duration=max_duration,
                created_at=now, expires_at=now + timedelta(seconds=max_duration + grace))
    db.session.add(hold)
    try:
        db.session.flush()
    except IntegrityError:
        raise CallUuidConflict(f"Call {call_uuid} was just authorized for another account; every call needs "
                               "its own uuid.", uuid="already used by another account") from None
    return hold


def settle_hold(call_uuid, now=None):
    """The call's CDR arrived: its charge replaces the reservation."""
    hold = db.session.scalar(select(Hold).where(Hold.call_uuid == call_uuid, Hold.status == "open"))
    if hold is not None:
        hold.status = "settled"
        hold.closed_at = now or utcnow()
    return hold


def expire_holds(now=None, account_id=None, actor=audit.SYSTEM):
    """Mark lapsed holds expired (one account's, or everyone's); returns how many. Lapsed holds
    already count for nothing in `available`: this makes their status say so. A run that expired
    any leaves one audit event with their number (each hold row keeps its call, amount and times)."""
    now = now or utcnow()
    if account_id is not None:
        # Authorization runs this for every call: the session flushes first, but does not look for
        # the rows among the objects it holds (that costs more than the UPDATE); held objects are
        # refreshed by hand instead.
        count = db.session.execute(_EXPIRE_ACCOUNT, {"holder": account_id, "lapsed_by": now},
                                   execution_options={"synchronize_session": False}).rowcount
        if count:
            for loaded in [obj for obj in db.session.identity_map.values() if isinstance(obj, Hold)]:
                db.session.expire(loaded)
    else:
        query = update(Hold).where(Hold.status == "open", Hold.expires_at <= now)
        count = db.session.execute(query.values(status="expired", closed_at=now)).rowcount
    if count:
        # Authorization runs this under the account's lock: the row is in the session, get() is free.
        scope = ("account", db.session.get(Account, account_id).code) if account_id is not None else ("holds", "all")
        audit.record(actor, "expire_holds", *scope, count=count, lapsed_by=now)
    return count
