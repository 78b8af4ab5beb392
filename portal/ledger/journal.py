"""Writing the journal: a transaction and its postings, balanced per currency, and the cached
balance of every customer it touches, in the same database transaction."""
from collections import defaultdict
from decimal import Decimal

from portal.extensions import db
from portal.ledger.amounts import check_balance
from portal.ledger.errors import UnbalancedTransaction
from portal.models import Account, LedgerTransaction, Posting


def post(type_, legs, *, account=None, amount=Decimal(0), currency, description="", actor, **links):
    """Write one transaction from `legs` [(ledger account, signed amount)].

    The caller has locked every customer account involved (`lock_account`), so the cached balance
    moves together with its postings and nobody else moves it in between. A balance that would no
    longer fit its column is refused (BalanceOutOfRange); the caller rolls back.
    """
    legs = [(ledger, value) for ledger, value in legs if value != 0]
    if len(legs) < 2:
        raise UnbalancedTransaction("a transaction needs two or more non-zero postings")
    totals = defaultdict(Decimal)
    for ledger, value in legs:
        totals[ledger.currency] += value
    if any(total != 0 for total in totals.values()):
        raise UnbalancedTransaction(f"postings do not sum to zero: {dict(totals)}")

    transaction = LedgerTransaction(type=type_, account_id=account.id if account else None, amount=amount,
                                    currency=currency, description=description, created_by=actor.label,
                                    **links)
    db.session.add(transaction)
    db.session.flush()
    db.session.add_all(Posting(transaction_id=transaction.id, ledger_account_id=ledger.id, amount=value,
                               currency=ledger.currency) for ledger, value in legs)
    for ledger, value in legs:
        if ledger.account_id is not None:
            customer = account if account is not None and account.id == ledger.account_id else \
                db.session.get(Account, ledger.account_id)
            customer.balance += value
            check_balance(customer)
    db.session.flush()
    return transaction
