"""What a customer may still spend."""
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Hold


def open_holds(account):
    """Money reserved by calls still in progress."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Hold.amount), Decimal(0)))
        .where(Hold.account_id == account.id, Hold.status == "open")
    )
    return total if total is not None else Decimal(0)


def available(account):
    """Balance + credit limit − open holds (DESIGN §4)."""
    return account.balance + account.credit_limit - open_holds(account)
