"""Holds: money reserved for a call in progress so simultaneous calls cannot overspend.
A hold is placed at authorization, settled by the call's CDR, or lapses after its expiry."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer, String, bindparam, exists, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.extensions import db
from portal.ledger.balance import open_holds_sql
from portal.ledger.errors import LedgerError
from portal.ledger.locks import lock_account_row
from portal.models import Account, Hold
from portal.models.types import Money, UTCDateTime, utcnow


class CallUuidConflict(LedgerError):
    """A call uuid names one call of one account: it cannot be authorized for another account, nor
    again once its call is over."""

    code = "call_uuid_conflict"
    status = 409


#: Built once, like the other statements authorization runs on every call. The hold's row is made
#: from the account's own (its currency) only when the call has no hold yet and the account's
#: balance + credit limit − open holds covers the amount, so reading the money and reserving it are
#: one statement. It returns the new hold's id, so an empty result says none was placed.
_PLACE = insert(Hold).from_select(
    ["account_id", "call_uuid", "currency", "amount", "max_duration", "status", "created_at", "expires_at"],
    select(Account.id, bindparam("call_uuid", type_=String()), Account.currency, bindparam("amount", type_=Money()),
           bindparam("max_duration", type_=Integer()), literal("open"), bindparam("now", type_=UTCDateTime()),
           bindparam("expires_at", type_=UTCDateTime()))
    .where(Account.id == bindparam("account_id"),
           Account.balance + Account.credit_limit - open_holds_sql(Account.id) >= bindparam("amount"),
           ~exists().where(Hold.call_uuid == bindparam("call_uuid")))).returning(Hold.id)
_EXPIRE_ACCOUNT = update(Hold).where(Hold.account_id == bindparam("holder"), Hold.status == "open",
                                     Hold.expires_at <= bindparam("lapsed_by")).values(status="expired",
                                                                                 closed_at=bindparam("lapsed_by"))


def place_hold(account_id, call_uuid, amount, max_duration, now=None):
    """Reserve `amount` for `call_uuid` if what the account has available covers it; answers
    whether it did. It does not when the call has a hold already or the money is no longer there,
    and either way the account stays locked until the transaction ends, so the caller can read
    again and decide under the lock. A uuid another account places at the same moment is refused
    by its unique index (CallUuidConflict; the caller rolls back)."""
    now = now or utcnow()
    db.session.flush()  # a hold settled in this session and not yet written counts as settled
    lock_account_row(account_id)
    expires_at = now + timedelta(seconds=max_duration + current_app.config["HOLD_GRACE_SECONDS"])
    try:
        placed = db.session.connection().execute(_PLACE, {
            "account_id": account_id, "call_uuid": call_uuid, "amount": amount, "max_duration": max_duration,
            "now": now, "expires_at": expires_at}).first()
    except IntegrityError:
        raise CallUuidConflict(f"Call {call_uuid} was just authorized for another account; every call needs "
                               "its own uuid.", uuid="already used by another account") from None
    return placed is not None


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
        # Authorization runs this whenever the account has lapsed holds: the session flushes first,
        # but does not look for the rows among the objects it holds (that costs more than the
        # UPDATE); held objects are refreshed by hand instead.
        count = db.session.execute(_EXPIRE_ACCOUNT, {"holder": account_id, "lapsed_by": now},
                                   execution_options={"synchronize_session": False}).rowcount
        if count:
            for loaded in [obj for obj in db.session.identity_map.values() if isinstance(obj, Hold)]:
                db.session.expire(loaded)
    else:
        query = update(Hold).where(Hold.status == "open", Hold.expires_at <= now)
        count = db.session.execute(query.values(status="expired", closed_at=now)).rowcount
    if count:
        scope = ("account", db.session.get(Account, account_id).code) if account_id is not None else ("holds", "all")
        audit.record(actor, "expire_holds", *scope, count=count, lapsed_by=now)
    return count
