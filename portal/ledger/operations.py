"""The money operations the source documents name (DESIGN §4). Each locks the account, checks its
rule, posts, audits (who, and why: the description), and flushes; the caller commits. A refused
operation raises and changes nothing.
"""
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.ledger.accounts import customer_ledger, provider_payable, system_ledger
from portal.ledger.amounts import check_balance, check_credit_limit, money_text, nonzero_amount, positive_amount
from portal.ledger.balance import available
from portal.ledger.errors import (
    AdminOnly,
    AlreadyReversed,
    CreditBelowZero,
    CreditRequiresPostpaid,
    InsufficientFunds,
    ReasonRequired,
    ReturnExceedsBalance,
)
from portal.ledger.holds import release
from portal.ledger.idempotency import Replay, claim, remember
from portal.ledger.journal import post
from portal.ledger.locks import lock_account
from portal.models import CreditLimitEvent, LedgerTransaction, Posting
from portal.models.bulk import bulk_insert, chunks
from portal.models.types import utcnow


def receipt(account, type_, amount, record_id):
    """What every money operation answers: the new state of the account. `record_id` is the ledger
    transaction's id, or for credit and return_credit (not money) the credit-limit event's."""
    return {"id": record_id, "type": type_, "amount": money_text(amount), "balance": money_text(account.balance),
            "credit_limit": money_text(account.credit_limit), "available": money_text(available(account))}


def once_per_key(account, key, request, run):
    """Lock the account and return `run(locked)`, unless `key` was used: then the first answer (or a
    refusal of another request). The lock comes before the claim so that the claim is written inside
    the transaction a refusal rolls back (see `portal.ledger.idempotency`)."""
    locked = lock_account(account.id)
    if key is None:
        return run(locked)
    try:
        record = claim(key, request)
    except Replay as replay:
        return replay.response
    result = run(locked)
    remember(record, result, 201)
    return result


def _request(operation, account, amount, extra=""):
    """What a key's first use is compared with; the amount normalised, so "12.5" and "12.50" agree."""
    return {"operation": operation, "account": account.code, "amount": money_text(amount), "extra": extra}


def payment(account, amount, actor, description="", key=None):
    """Money received: the balance goes up, the credit limit does not move."""
    amount = positive_amount(amount)

    def run(locked):
        tx = post("payment", [(customer_ledger(locked), amount), (system_ledger("cash", locked.currency), -amount)],
                  account=locked, amount=amount, currency=locked.currency, description=description or "Payment",
                  actor=actor)
        clear_limit_flag(locked)
        audit.record(actor, "payment", "account", locked.code, amount=amount, description=tx.description,
                     transaction=tx.id)
        return receipt(locked, "payment", amount, tx.id)

    return once_per_key(account, key, _request("payment", account, amount, description), run)


def return_payment(account, amount, actor, description="", key=None):
    """A refund: never more than the positive balance the customer has with us."""
    amount = positive_amount(amount)

    def run(locked):
        if amount > max(locked.balance, Decimal(0)):
            raise ReturnExceedsBalance(f"A return of {amount} exceeds the positive balance {locked.balance}.",
                                       amount=f"at most {max(locked.balance, Decimal(0))}")
        tx = post("return", [(customer_ledger(locked), -amount), (system_ledger("cash", locked.currency), amount)],
                  account=locked, amount=-amount, currency=locked.currency, description=description or "Return",
                  actor=actor)
        audit.record(actor, "return", "account", locked.code, amount=amount, description=tx.description,
                     transaction=tx.id)
        return receipt(locked, "return", -amount, tx.id)

    return once_per_key(account, key, _request("return", account, amount, description), run)


def credit(account, amount, actor, description="", key=None):
    """Extend a postpaid credit limit; an audited event, not money."""
    return _change_limit(account, positive_amount(amount), "credit", actor, description, key)


def return_credit(account, amount, actor, description="", key=None):
    """Reduce a postpaid credit limit, never below zero."""
    return _change_limit(account, positive_amount(amount), "return_credit", actor, description, key)


def _change_limit(account, amount, type_, actor, description, key):
    def run(locked):
        if locked.billing != "postpaid":
            raise CreditRequiresPostpaid("Only postpaid accounts have a credit limit.", billing="prepaid")
        before = locked.credit_limit
        after = before + amount if type_ == "credit" else before - amount
        if after < 0:
            raise CreditBelowZero(f"The credit limit {before} cannot be reduced by {amount}.",
                                  amount=f"at most {before}")
        check_credit_limit(after)
        locked.credit_limit = after
        event = CreditLimitEvent(account_id=locked.id, type=type_, amount=amount, limit_before=before,
                                 limit_after=after, description=description, created_by=actor.label)
        db.session.add(event)
        db.session.flush()
        clear_limit_flag(locked)
        audit.record(actor, type_, "account", locked.code, amount=amount, limit_before=before, limit_after=after,
                     description=description)
        return receipt(locked, type_, amount, event.id)

    return once_per_key(account, key, _request(type_, account, amount, description), run)


def adjustment(account, amount, actor, reason, key=None):
    """A signed correction by an admin, with the reason in the journal."""
    if actor.role != "admin":
        raise AdminOnly("Only an admin may post an adjustment.")
    if not (reason or "").strip():
        raise ReasonRequired("An adjustment needs a reason.", description="required")
    amount = nonzero_amount(amount)

    def run(locked):
        tx = post("adjustment", [(customer_ledger(locked), amount),
                                 (system_ledger("adjustments", locked.currency), -amount)],
                  account=locked, amount=amount, currency=locked.currency, description=reason.strip(), actor=actor)
        update_limit_flag(locked)
        audit.record(actor, "adjustment", "account", locked.code, amount=amount, reason=reason,
                     transaction=tx.id)
        return receipt(locked, "adjustment", amount, tx.id)

    return once_per_key(account, key, _request("adjustment", account, amount, reason), run)


def fee(account, amount, actor, description, require_funds=False, key=None):
    """A charge for a plan or product. With `require_funds`, refused unless the account can pay it."""
    amount = positive_amount(amount)

    def run(locked):
        if require_funds and available(locked) < amount:
            raise InsufficientFunds(f"Available {available(locked)} is less than {amount}.")
        tx = post("fee", [(customer_ledger(locked), -amount), (system_ledger("fee_revenue", locked.currency), amount)],
                  account=locked, amount=-amount, currency=locked.currency, description=description, actor=actor)
        update_limit_flag(locked)
        audit.record(actor, "fee", "account", locked.code, amount=amount, description=description,
                     transaction=tx.id)
        return receipt(locked, "fee", -amount, tx.id)

    return once_per_key(account, key, _request("fee", account, amount, description), run)


def moves_money(cdr):
    """Whether a rated call has anything to post: a price, or a cost owed to a known carrier. A free
    call at no cost gets no transaction (one without postings would break the journal's rule)."""
    return bool(cdr.price) or bool(cdr.cost and cdr.provider_id is not None)


def charge_call(cdr, actor=audit.SYSTEM):
    """Post a rated call: price from the customer to call revenue, cost to the carrier's payable.
    A call charge always posts (the call happened); the account is flagged if it fell below its limit.
    Only a call with nothing to post (see `moves_money`) gets no transaction: None is returned."""
    if not moves_money(cdr):
        return None
    locked = lock_account(cdr.account_id)
    legs = [(customer_ledger(locked), -cdr.price), (system_ledger("call_revenue", locked.currency), cdr.price)]
    if cdr.cost and cdr.provider_id is not None:
        legs += [(provider_payable(cdr.provider_id, cdr.cost_currency), cdr.cost),
                 (system_ledger("call_cost", cdr.cost_currency), -cdr.cost)]
    tx = post("call_charge", legs, account=locked, amount=-cdr.price, currency=locked.currency,
              description=f"Call to {cdr.number}", actor=actor, cdr_id=cdr.id)
    update_limit_flag(locked)
    audit.record(actor, "call_charge", "account", locked.code, amount=cdr.price, cost=cdr.cost,
                 description=tx.description, cdr=cdr.id, transaction=tx.id)
    return tx


def charge_calls(cdrs, actor=audit.SYSTEM, released=None):
    """Post many rated calls at once (CDR ingest): one lock, one balance update and one audit event
    per account (how many calls, their total, the first and last CDR id: an event per call would
    double the rows an import writes), transactions and postings written with bulk inserts. Same
    journal as `charge_call`, calls with nothing to post left out likewise. What the calls' settled
    holds reserved ({account id: amount}, see `settle_holds`) is released in the same pass, so every
    account is locked once and in one order."""
    by_account = defaultdict(list)
    for cdr in cdrs:
        if moves_money(cdr):
            by_account[cdr.account_id].append(cdr)
    released = released or {}
    ledgers = {}

    def ledger_id(make, *args):
        if (make, args) not in ledgers:
            ledgers[make, args] = make(*args).id
        return ledgers[make, args]

    for account_id in sorted(by_account.keys() | released.keys()):  # one lock order everywhere: no deadlocks
        locked = lock_account(account_id)
        if account_id in released:
            release({account_id: released[account_id]})
        if account_id not in by_account:
            continue
        group = by_account[account_id]
        customer = customer_ledger(locked).id
        revenue = ledger_id(system_ledger, "call_revenue", locked.currency)
        now = utcnow()
        bulk_insert(LedgerTransaction.__table__, [
            {"type": "call_charge", "account_id": account_id, "amount": -cdr.price, "currency": locked.currency,
             "description": f"Call to {cdr.number}", "created_by": actor.label, "cdr_id": cdr.id, "created_at": now}
            for cdr in group])
        cdr_ids = [cdr.id for cdr in group]
        postings = []
        for tx_id, cdr in zip(_new_charge_ids(cdr_ids), group):
            postings += [(tx_id, customer, -cdr.price, locked.currency), (tx_id, revenue, cdr.price, locked.currency)]
            if cdr.cost and cdr.provider_id is not None:
                payable = ledger_id(provider_payable, cdr.provider_id, cdr.cost_currency)
                cost = ledger_id(system_ledger, "call_cost", cdr.cost_currency)
                postings += [(tx_id, payable, cdr.cost, cdr.cost_currency), (tx_id, cost, -cdr.cost, cdr.cost_currency)]
        bulk_insert(Posting.__table__, [
            {"transaction_id": tx, "ledger_account_id": ledger, "amount": amount, "currency": currency}
            for tx, ledger, amount, currency in postings if amount != 0])
        total = sum((cdr.price for cdr in group), Decimal(0))
        locked.balance -= total
        check_balance(locked)
        update_limit_flag(locked)
        audit.record(actor, "call_charges", "account", locked.code, count=len(group), total=total,
                     currency=locked.currency, first_cdr=min(cdr_ids), last_cdr=max(cdr_ids))
    db.session.flush()


def _new_charge_ids(cdr_ids):
    """The charge just inserted for each CDR, in order: the newest call charge of each (a re-rated
    CDR also has older, reversed ones). Cheaper than RETURNING for thousands of rows."""
    newest = {}
    for chunk in chunks(cdr_ids):
        newest.update(db.session.execute(
            select(LedgerTransaction.cdr_id, func.max(LedgerTransaction.id))
            .where(LedgerTransaction.type == "call_charge", LedgerTransaction.cdr_id.in_(chunk))
            .group_by(LedgerTransaction.cdr_id)).all())
    return [newest[cdr_id] for cdr_id in cdr_ids]


def reverse(transaction, actor, description=""):
    """Undo a transaction with its mirror image, pointing back at it (re-rating, credit notes).
    Once only: a second reversal would undo it twice."""
    if transaction.account_id is not None:
        lock_account(transaction.account_id)  # two reversals of one transaction are served in turn
    earlier = db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.corrects_id == transaction.id))
    if earlier is not None:
        raise AlreadyReversed(f"Transaction {transaction.id} was reversed already, by transaction {earlier}.",
                              transaction=f"reversed by {earlier}")
    legs = [(p.ledger_account, -p.amount) for p in transaction.postings]
    kind = "call_reversal" if transaction.type == "call_charge" else transaction.type
    tx = post(kind, legs, account=transaction.account, amount=-transaction.amount, currency=transaction.currency,
              description=description or f"Reversal of {transaction.type} #{transaction.id}", actor=actor,
              corrects_id=transaction.id, cdr_id=transaction.cdr_id)
    if transaction.account is not None:
        update_limit_flag(transaction.account)
    audit.record(actor, "reverse", "ledger_transaction", transaction.id, reversal=tx.id, description=tx.description)
    return tx


def update_limit_flag(account):
    account.below_limit = account.balance + account.credit_limit < 0


def clear_limit_flag(account):
    if account.below_limit and account.balance + account.credit_limit >= 0:
        account.below_limit = False
