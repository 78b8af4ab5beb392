"""What a customer may still spend."""
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Hold
from portal.models.types import utcnow


def open_holds(account, now=None):
    """Money reserved by calls still in progress (a lapsed hold reserves nothing)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Hold.amount), Decimal(0)))
        .where(Hold.account_id == account.id, Hold.status == "open", Hold.expires_at > (now or utcnow()))
    )
    return total if total is not None else Decimal(0)


def available(account, now=None):
    """Balance + credit limit − open holds (DESIGN §4)."""
    return account.balance + account.credit_limit - open_holds(account, now)
