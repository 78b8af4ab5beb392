"""Ledger accounts: one per customer, and system accounts per currency, made on first use."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import LedgerAccount


def _get_or_create(key, **fields):
    found = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))
    if found is not None:
        return found
    # Two requests may create the same system account at once: the loser re-reads the winner's row.
    try:
        with db.session.begin_nested():
            created = LedgerAccount(key=key, **fields)
            db.session.add(created)
        return created
    except IntegrityError:
        return db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))


def customer_ledger(account):
    return _get_or_create(f"customer:{account.id}", kind="customer", currency=account.currency,
                          account_id=account.id)


def system_ledger(kind, currency):
    """cash, call_revenue, call_cost, fee_revenue, tax_payable, voucher_liability, adjustments."""
    return _get_or_create(f"{kind}:{currency}", kind=kind, currency=currency)


def provider_payable(provider_id, currency):
    return _get_or_create(f"provider_payable:{provider_id}:{currency}", kind="provider_payable",
                          currency=currency, provider_id=provider_id)
