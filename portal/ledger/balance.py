"""What a customer may still spend."""
from decimal import Decimal

from sqlalchemy import bindparam, func, select

from portal.extensions import db
from portal.models import Hold
from portal.models.types import utcnow

#: Built once: the customer pages and every money operation that needs funds run it.
_OPEN_HOLDS = select(func.coalesce(func.sum(Hold.amount), Decimal(0))).where(
    Hold.account_id == bindparam("account_id"), Hold.status == "open", Hold.expires_at > bindparam("now"))


def open_holds(account, now=None):
    """Money reserved by calls still in progress (a lapsed hold reserves nothing)."""
    # Through the session, not its connection: a hold settled or placed but not yet flushed counts.
    total = db.session.scalar(_OPEN_HOLDS, {"account_id": account.id, "now": now or utcnow()})
    return total if total is not None else Decimal(0)


def available(account, now=None):
    """Balance + credit limit − open holds (DESIGN §4)."""
    return account.balance + account.credit_limit - open_holds(account, now)
