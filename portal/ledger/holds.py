"""Holds: money reserved for a call in progress so simultaneous calls cannot overspend.
A hold is placed at authorization, settled by the call's CDR, or lapses after its expiry."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.extensions import db
from portal.ledger.balance import available
from portal.models import Hold
from portal.models.types import utcnow


def place_hold(locked_account, call_uuid, amount, max_duration, now=None):
    """Reserve `amount` (capped by what is available) for `call_uuid`. The caller holds the account
    lock. Asking again for the same call returns the hold it already has."""
    existing = db.session.scalar(select(Hold).where(Hold.call_uuid == call_uuid))
    if existing is not None:
        return existing
    now = now or utcnow()
    grace = current_app.config["HOLD_GRACE_SECONDS"]
    hold = Hold(account_id=locked_account.id, call_uuid=call_uuid, currency=locked_account.currency,
                amount=max(min(amount, available(locked_account, now)), 0), max_duration=max_duration,
                created_at=now, expires_at=now + timedelta(seconds=max_duration + grace))
    db.session.add(hold)
    db.session.flush()
    return hold


def settle_hold(call_uuid, now=None):
    """The call's CDR arrived: its charge replaces the reservation."""
    hold = db.session.scalar(select(Hold).where(Hold.call_uuid == call_uuid, Hold.status == "open"))
    if hold is not None:
        hold.status = "settled"
        hold.closed_at = now or utcnow()
    return hold


def expire_holds(now=None):
    """Mark lapsed holds expired; returns how many. Lapsed holds already count for nothing."""
    now = now or utcnow()
    result = db.session.execute(update(Hold).where(Hold.status == "open", Hold.expires_at <= now)
                                .values(status="expired", closed_at=now))
    return result.rowcount
