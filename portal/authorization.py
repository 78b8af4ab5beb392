"""Before a call: may this account dial this number, for how long, over which routes; with a call
uuid, the price of that longest call is held so simultaneous calls cannot overspend (DESIGN §3, §4)."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.ledger.holds import CallUuidConflict, expire_holds, place_hold
from portal.ledger.locks import lock_account_row
from portal.models import Account, Hold, TariffVersion
from portal.models import DialRule as DialRuleRow
from portal.models.types import utcnow
from portal.rating import DialRule, UnknownVoipPlan
from portal.tariffs.cache import engine_and_lists
from portal.transactions import begin_transaction


@dataclass
class Decision:
    allowed: bool
    reason: str | None
    number: str | None = None
    destination: object = None
    rate: object = None
    max_duration: int = 0
    routes: tuple = ()
    #: What is held for the call: None when no hold was placed (no uuid, or the call was refused).
    hold_amount: object = None


def _blocked(lists, account, number):
    """A blacklisted prefix refuses the number; whitelists, where an account has any, admit only theirs."""
    entries = [(kind, prefix) for kind, prefix, owner in lists if owner in (None, account.id)]
    if any(kind == "blacklist" and number.startswith(prefix) for kind, prefix in entries):
        return True
    whitelist = [prefix for kind, prefix in entries if kind == "whitelist"]
    return bool(whitelist) and not any(number.startswith(prefix) for prefix in whitelist)


_call = aliased(Hold, name="call")
_LAPSED = (Hold.account_id == Account.id, Hold.status == "open", Hold.expires_at <= bindparam("now"))

#: Everything a decision needs from the database in one query, built once (authorization is the hot
#: path, and building a statement costs more than running it): the account's figures, what it has
#: available (its open holds are in `held`; the lapsed ones among them, found by the holds' index,
#: reserve nothing), whether it has lapsed holds to close, the hold of the call asked about
#: (whoever's), the account's own dial rules in the order rating applies them, and the tariff
#: version (so the rating engine need not ask for it).
_ACCOUNT = (select(Account.id, Account.code, Account.status, Account.voip_plan_id,
                   select(TariffVersion.version).where(TariffVersion.id == 1).scalar_subquery().label("tariffs"),
                   (Account.balance + Account.credit_limit - Account.held
                    + select(func.coalesce(func.sum(Hold.amount), Decimal(0))).where(*_LAPSED).scalar_subquery())
                   .label("available"),
                   exists().where(*_LAPSED).label("lapsed"),
                   _call.account_id.label("call_account_id"), _call.status.label("call_status"),
                   _call.amount.label("call_amount"), _call.max_duration.label("call_max_duration"),
                   _call.expires_at.label("call_expires_at"),
                   DialRuleRow.match, DialRuleRow.replace)
            .outerjoin(DialRuleRow, DialRuleRow.account_id == Account.id)
            .outerjoin(_call, _call.call_uuid == bindparam("call_uuid"))
            .where(Account.code == bindparam("code"))
            .order_by(DialRuleRow.position, DialRuleRow.id))


def _account(code, call_uuid, now, caller_check=None):
    """(account row, its dial rules) or (None, ()); read along with what `caller_check` checks."""
    statement, values = _ACCOUNT, {"code": code, "call_uuid": call_uuid, "now": now}
    if caller_check is not None:
        statement, extra = caller_check.reading(_ACCOUNT)
        values.update(extra)
    rows = db.session.connection().execute(statement, values).all()
    if caller_check is not None:
        caller_check.check(rows[0] if rows else None)
    if not rows:
        return None, ()
    return rows[0], tuple(DialRule(row.match, row.replace) for row in rows if row.match is not None)


def authorize(account_code, caller, callee, call_uuid=None, at=None, caller_check=None):
    """Decide one call. With `call_uuid` the price of the longest call is held, and the account's
    lapsed holds are closed on the way. Asking again for a call that has its hold answers as the
    first time. `caller_check` (the API's `KeyCheck`) is read in the same statement as the account
    and checked before anything is decided: `reading(statement)` gives the statement to read
    with and its extra values, `check(first row or None)` refuses by raising.

    The decision is made without a lock, on what the account had a moment ago; the money is then
    reserved in one statement only if it is still there. Should it not be (another call of the
    account took it meanwhile), or should lapsed holds be closed first, the account is locked and
    the call decided once more on what it has then: concurrent calls of one account wait for each
    other only while a hold is written, not for the whole decision."""
    now = utcnow()
    at = at or now
    decision, account = _decide_call(account_code, caller, callee, call_uuid, at, now, caller_check)
    if account is None or (not account.lapsed and _held(decision, account.id, call_uuid, now)):
        return decision
    begin_transaction()
    lock_account_row(account.id)
    if account.lapsed:
        expire_holds(now, account.id)
    decision, account = _decide_call(account_code, caller, callee, call_uuid, at, now)
    if account is None or _held(decision, account.id, call_uuid, now):
        return decision
    # Under the lock the money read is the money there is, and an allowed call's hold never exceeds it.
    raise AssertionError(f"the hold for call {call_uuid} was refused under the account's lock")


def _decide_call(account_code, caller, callee, call_uuid, at, now, caller_check=None):
    """(the Decision, None) when that is the answer; (the Decision, the account's row) for an
    allowed call whose hold is still to be placed: the amount is its `hold_amount` by then."""
    account, dial_rules = _account(account_code, call_uuid, now, caller_check)
    if account is None:
        return Decision(False, "unknown_account"), None
    if account.status != "active":
        return Decision(False, "account_suspended"), None
    if account.voip_plan_id is None:
        return Decision(False, "no_rate"), None
    if call_uuid and account.call_status is not None:
        return _asked_again(account, call_uuid, caller, callee, at, now, dial_rules), None
    decision, hold_amount = _decide(account, caller, callee, at, account.available, dial_rules)
    if not (decision.allowed and call_uuid):
        return decision, None
    decision.hold_amount = hold_amount
    return decision, account


def _held(decision, account_id, call_uuid, now):
    """Whether the decided call's hold was placed; the decision says nothing is held when not."""
    if place_hold(account_id, call_uuid, decision.hold_amount, decision.max_duration, now):
        return True
    decision.hold_amount = None
    return False


def _decide(account, caller, callee, at, money, dial_rules):
    """(Decision, the amount to hold for it) on `money`, before anything is held."""
    engine, lists = engine_and_lists(account.tariffs)
    try:
        answer = engine.authorize(account.voip_plan_id, caller, callee, at, money, dial_rules)
    except UnknownVoipPlan:
        return Decision(False, "no_rate"), None
    decision = Decision(answer.allowed, answer.reason, answer.number, answer.destination, answer.rate,
                        answer.max_duration, answer.routes)
    if decision.allowed and _blocked(lists, account, answer.number):
        decision.allowed, decision.reason, decision.max_duration = False, "blocked", 0
    return decision, answer.hold_amount


def _asked_again(account, call_uuid, caller, callee, at, now, dial_rules):
    """The answer for a call that has its hold: priced against that money alone (the hold is not
    counted against itself), as when it was placed. A uuid is one call of one account, and a call
    that is over (settled by its CDR, or lapsed) cannot start again."""
    if account.call_account_id != account.id:
        raise CallUuidConflict(f"Call {call_uuid} was authorized for another account; every call needs its "
                               "own uuid.", uuid="already used by another account")
    status = "expired" if account.call_status == "open" and account.call_expires_at <= now else account.call_status
    if status != "open":
        raise CallUuidConflict(f"Call {call_uuid} is over (its hold was {status}); a new call needs a new uuid.",
                               uuid=f"call already {status}")
    decision, _ = _decide(account, caller, callee, at, account.call_amount, dial_rules)
    if decision.allowed:
        decision.max_duration = min(decision.max_duration, account.call_max_duration)
        decision.hold_amount = account.call_amount
    return decision
