"""The ledger's invariants, checked over the whole database."""
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Account, Hold, LedgerAccount, LedgerTransaction, Posting


def verify():
    """A list of problems (empty when the ledger is sound): unbalanced or one-legged transactions,
    postings in another currency than their ledger account (its balance would add two currencies),
    cached balances that differ from the sum of their postings, and cached holds (`held`) that
    differ from the sum of the account's open holds."""
    problems = []
    unbalanced = db.session.execute(
        select(Posting.transaction_id, Posting.currency, func.sum(Posting.amount))
        .group_by(Posting.transaction_id, Posting.currency)
        .having(func.sum(Posting.amount) != 0)
    ).all()
    for transaction_id, currency, total in unbalanced:
        problems.append(f"transaction {transaction_id}: {currency} postings sum to {total}, not 0")

    legs = select(Posting.transaction_id, func.count().label("n")).group_by(Posting.transaction_id).subquery()
    short = db.session.execute(
        select(LedgerTransaction.id, func.coalesce(legs.c.n, 0))
        .outerjoin(legs, legs.c.transaction_id == LedgerTransaction.id)
        .where(func.coalesce(legs.c.n, 0) < 2)
    ).all()
    for transaction_id, count in short:
        problems.append(f"transaction {transaction_id}: {count} posting(s), needs two or more")

    foreign = db.session.execute(
        select(Posting.id, Posting.currency, LedgerAccount.key, LedgerAccount.currency)
        .join(LedgerAccount, LedgerAccount.id == Posting.ledger_account_id)
        .where(Posting.currency != LedgerAccount.currency)
    ).all()
    for posting_id, currency, key, ledger_currency in foreign:
        problems.append(f"posting {posting_id}: in {currency}, but ledger account {key} is in {ledger_currency}")

    sums = select(LedgerAccount.account_id, func.sum(Posting.amount).label("total")) \
        .join(Posting, Posting.ledger_account_id == LedgerAccount.id) \
        .where(LedgerAccount.account_id.isnot(None)).group_by(LedgerAccount.account_id).subquery()
    for code, cached, total in db.session.execute(
        select(Account.code, Account.balance, sums.c.total).outerjoin(sums, sums.c.account_id == Account.id)
    ):
        expected = total if total is not None else Decimal(0)
        if cached != expected:
            problems.append(f"account {code}: cached balance {cached} but postings sum to {expected}")

    open_holds = select(Hold.account_id, func.sum(Hold.amount).label("total")).where(Hold.status == "open") \
        .group_by(Hold.account_id).subquery()
    for code, held, total in db.session.execute(
        select(Account.code, Account.held, open_holds.c.total).outerjoin(open_holds,
                                                                         open_holds.c.account_id == Account.id)
    ):
        expected = total if total is not None else Decimal(0)
        if held != expected:
            problems.append(f"account {code}: {held} held but its open holds sum to {expected}")
    return problems
