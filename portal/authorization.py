"""Before a call: may this account dial this number, for how long, over which routes; with a call
uuid, the price of that longest call is held so simultaneous calls cannot overspend (DESIGN §3, §4)."""
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from portal.extensions import db
from portal.ledger.balance import available
from portal.ledger.holds import CallUuidConflict, call_hold, expire_holds, place_hold
from portal.ledger.locks import lock_account
from portal.models import Account
from portal.models import DialRule as DialRuleRow
from portal.models.types import utcnow
from portal.rating import DialRule, UnknownVoipPlan
from portal.tariffs.cache import engine_and_lists


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


#: The account's figures and its own dial rules (in the order rating applies them) in one query,
#: built once: authorization is the hot path, and building a statement costs more than running it.
_ACCOUNT = (select(Account.id, Account.status, Account.voip_plan_id, Account.balance, Account.credit_limit,
                   DialRuleRow.match, DialRuleRow.replace)
            .outerjoin(DialRuleRow, DialRuleRow.account_id == Account.id)
            .where(Account.code == bindparam("code"))
            .order_by(DialRuleRow.position, DialRuleRow.id))


def _account(code):
    """(account row, its dial rules) or (None, ())."""
    rows = db.session.connection().execute(_ACCOUNT, {"code": code}).all()
    if not rows:
        return None, ()
    return rows[0], tuple(DialRule(row.match, row.replace) for row in rows if row.match is not None)


def authorize(account_code, caller, callee, call_uuid=None, at=None):
    """Decide one call. With `call_uuid` the account is locked while its available money is read and
    the hold placed, so concurrent authorizations are served one after another; its lapsed holds
    are closed on the way. Asking again for a call that has its hold answers as the first time."""
    account, dial_rules = _account(account_code)
    if account is None:
        return Decision(False, "unknown_account")
    if account.status != "active":
        return Decision(False, "account_suspended")
    if account.voip_plan_id is None:
        return Decision(False, "no_rate")
    # Before the account's lock, which holds back every other authorization of the account (on
    # SQLite, every other writer): nothing here depends on it.
    engine, lists = engine_and_lists()
    now = utcnow()
    hold = None
    if call_uuid:
        account = lock_account(account.id)
        expire_holds(now, account.id)
        hold = _own_open_hold(account, call_uuid)
    # A call that has its hold already is priced against that money alone: the hold is not
    # counted against itself, and the answer is the one that placed it.
    money = available(account, now) if hold is None else hold.amount
    try:
        answer = engine.authorize(account.voip_plan_id, caller, callee, at or now, money, dial_rules)
    except UnknownVoipPlan:
        return Decision(False, "no_rate")
    decision = Decision(answer.allowed, answer.reason, answer.number, answer.destination, answer.rate,
                        answer.max_duration, answer.routes)
    if decision.allowed and _blocked(lists, account, answer.number):
        decision.allowed, decision.reason, decision.max_duration = False, "blocked", 0
    if decision.allowed and call_uuid:
        hold = hold or place_hold(account, call_uuid, answer.hold_amount, answer.max_duration, now, money)
        decision.max_duration = min(decision.max_duration, hold.max_duration)
        decision.hold_amount = hold.amount
    return decision


def _own_open_hold(account, call_uuid):
    """This account's open hold for the call, or None when it has none yet. A uuid whose call is
    over (settled by its CDR, or lapsed) cannot start a call again."""
    hold = call_hold(account, call_uuid)
    if hold is not None and hold.status != "open":
        raise CallUuidConflict(f"Call {call_uuid} is over (its hold was {hold.status}); a new call needs a new uuid.",
                               uuid=f"call already {hold.status}")
    return hold
