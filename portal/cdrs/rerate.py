"""Re-rating after a tariff fix: every CDR of a period not yet invoiced is rated again; where its
charge changes, the old charge is reversed and the new one posted, so the ledger stays exact."""
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from portal import audit
from portal.cdrs.ingest import Charge, Context, rate_record
from portal.cdrs.parsers import RawCdr
from portal.extensions import db
from portal.ledger.locks import lock_accounts
from portal.ledger.operations import charge_calls, reverse
from portal.models import Account, Cdr, LedgerTransaction
from portal.models.types import utcnow

RATED_COLUMNS = ("account_id", "status", "number", "destination_prefix", "destination", "billable_seconds", "price",
                 "currency", "cost", "cost_currency", "margin", "trace")


@dataclass
class RerateResult:
    examined: int = 0
    changed: int = 0
    reversed: int = 0

    def as_json(self):
        return {"examined": self.examined, "changed": self.changed, "reversed": self.reversed}


def _as_record(cdr):
    return RawCdr(uuid=cdr.uuid, account=cdr.account_code, caller=cdr.caller, callee=cdr.callee, start=cdr.start,
                  answer=cdr.answer, end=cdr.end, billsec=cdr.billsec, duration=cdr.duration,
                  hangup_cause=cdr.hangup_cause, src_ip=cdr.src_ip, provider=cdr.provider_name, switch="")


def _live_charge(cdr_id):
    """The call charge of a CDR that no later transaction has reversed."""
    reversal = aliased(LedgerTransaction)
    return db.session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.cdr_id == cdr_id, LedgerTransaction.type == "call_charge")
        .where(~select(reversal.id).where(reversal.corrects_id == LedgerTransaction.id).exists())
    )


def _lock_accounts_of(query):
    """Lock every account the re-rating may charge or reverse, the calls' as stored and as their
    codes name them now, all at once in the one order (`portal.ledger.locks`). Re-rating is one long
    transaction: taking each account as its calls came up held one while waiting for another, and a
    CDR batch beside it locking the same two in id order deadlocked with it."""
    scope = query.order_by(None)
    lock_accounts(set(db.session.scalars(select(Account.id).where(or_(
        Account.id.in_(scope.with_only_columns(Cdr.account_id)),
        Account.code.in_(scope.with_only_columns(Cdr.account_code)))))))


def _second(moment):
    """A UTC time to the second, `2026-10-05T14:03:00Z`: two of them name a period within the 64
    characters an audit event's object id holds (with microseconds and offsets they did not)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def rerate(start, end, account_code=None, actor=audit.SYSTEM, batch=1000):
    """Re-rate CDRs started in [start, end), never invoiced ones; the caller commits."""
    result = RerateResult()
    query = select(Cdr).where(Cdr.start >= start, Cdr.start < end, Cdr.invoice_id.is_(None)).order_by(Cdr.id)
    if account_code:
        query = query.where(Cdr.account_code == account_code)
    _lock_accounts_of(query)
    last_id = 0
    while True:
        cdrs = db.session.scalars(query.where(Cdr.id > last_id).limit(batch)).all()
        if not cdrs:
            audit.record(actor, "rerate", "cdrs", f"{_second(start)}..{_second(end)}", account=account_code,
                         start=start.isoformat(), end=end.isoformat(), **result.as_json())
            return result
        last_id = cdrs[-1].id
        context = Context({cdr.account_code for cdr in cdrs})
        charges = []
        for cdr in cdrs:
            result.examined += 1
            fresh = {"account_id": None, "number": "", "destination_prefix": "", "destination": "",
                     "billable_seconds": None, "price": None, "currency": None, "cost": None, "cost_currency": None,
                     "margin": None, **rate_record(_as_record(cdr), context)}
            if all(getattr(cdr, name) == fresh[name] for name in RATED_COLUMNS if name != "trace"):
                continue
            result.changed += 1
            old = _live_charge(cdr.id)
            if old is not None:
                reverse(old, actor, description=f"Re-rating of call {cdr.uuid}")
                result.reversed += 1
            for name in RATED_COLUMNS:
                setattr(cdr, name, fresh[name])
            if "provider_id" in fresh:
                cdr.provider_id = fresh["provider_id"]
            cdr.rated_at = utcnow()
            if cdr.status == "rated" and (cdr.price or (cdr.cost and cdr.provider_id)):
                charges.append(Charge(cdr.id, cdr.account_id, cdr.price, cdr.number, cdr.cost, cdr.cost_currency,
                                      cdr.provider_id))
        db.session.flush()
        if charges:
            charge_calls(charges, actor)
