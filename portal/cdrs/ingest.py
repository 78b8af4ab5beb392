"""CDRs in: stored once per uuid, rated, charged to the ledger, holds settled, traces kept.
A CDR that cannot be rated is stored with its reason and charges nothing (DESIGN §7)."""
from collections import namedtuple
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit
from portal.cdrs.parsers import RawCdr, Rejected
from portal.extensions import db
from portal.ledger.operations import charge_calls
from portal.models import Account, Cdr, Hold, Provider, Switch
from portal.models.bulk import bulk_insert
from portal.models.types import utcnow
from portal.rating import UnknownVoipPlan
from portal.tariffs.cache import rating_engine
from portal.tariffs.loader import account_dial_rules

#: What the ledger needs of a stored, rated call.
Charge = namedtuple("Charge", "id account_id price number cost cost_currency provider_id")
#: Lookups into the database are chunked: SQLite allows a limited number of bound values.
CHUNK = 500


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list = field(default_factory=list)
    rated: int = 0

    def add(self, other):
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.rated += other.rated

    def as_json(self):
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _known_uuids(uuids):
    known = set()
    for chunk in _chunks(uuids):
        known.update(db.session.scalars(select(Cdr.uuid).where(Cdr.uuid.in_(chunk))))
    return known


def _by_name(model, column, names):
    found = {}
    for chunk in _chunks(n for n in names if n):
        found.update({getattr(o, column): o.id for o in db.session.scalars(select(model).where(
            getattr(model, column).in_(chunk)))})
    return found


class _Context:
    """Accounts, providers and switches of one batch, each read once."""

    def __init__(self, records):
        self.accounts = {}
        for chunk in _chunks({r.account for r in records}):
            for account in db.session.scalars(select(Account).where(Account.code.in_(chunk))
                                              .options(selectinload(Account.dial_rules))):
                self.accounts[account.code] = (account, account_dial_rules(account))
        # Every provider: the cost may come from the first LCR route when the CDR names none.
        self.providers = dict(db.session.execute(select(Provider.name, Provider.id)).all())
        self.switches = _by_name(Switch, "name", {r.switch for r in records})
        self.engine = rating_engine()


def rate_record(record, context):
    """The rated columns of one CDR (status, number, price, cost, trace…)."""
    found = context.accounts.get(record.account)
    if found is None:
        return {"status": "unknown_account", "trace": {"status": "unknown_account", "account": record.account}}
    account, rules = found
    base = {"account_id": account.id}
    if account.voip_plan_id is None:
        return {**base, "status": "no_rate", "trace": {"status": "no_rate", "reason": "account has no VoIP plan"}}
    try:
        rated = context.engine.rate(account.voip_plan_id, record.caller, record.callee, record.answer or record.start,
                                    record.billsec, rules, provider=record.provider or None)
    except UnknownVoipPlan:
        return {**base, "status": "no_rate", "trace": {"status": "no_rate", "reason": "unknown VoIP plan"}}
    columns = {**base, "status": rated.status, "number": rated.number or "", "trace": rated.trace}
    if rated.status != "rated":
        return columns
    margin = rated.price - rated.cost if rated.cost is not None and rated.cost_currency == rated.currency else None
    return {**columns, "destination_prefix": rated.destination.prefix, "destination": rated.destination.name,
            "billable_seconds": rated.billable_seconds, "price": rated.price, "currency": rated.currency,
            "cost": rated.cost, "cost_currency": rated.cost_currency, "margin": margin,
            "provider_id": context.providers.get(rated.provider) if rated.provider else None}


def _row(record, context, now):
    row = {"uuid": record.uuid, "account_code": record.account, "caller": record.caller, "callee": record.callee,
           "start": record.start, "answer": record.answer, "end": record.end, "billsec": record.billsec,
           "duration": record.duration, "hangup_cause": record.hangup_cause, "src_ip": record.src_ip,
           "switch_id": context.switches.get(record.switch), "provider_name": record.provider,
           "provider_id": context.providers.get(record.provider), "received_at": now, "rated_at": now,
           "account_id": None, "number": "", "destination_prefix": "", "destination": "", "billable_seconds": None,
           "price": None, "currency": None, "cost": None, "cost_currency": None, "margin": None}
    rated = rate_record(record, context)
    if rated.get("provider_id") is None:
        rated.pop("provider_id", None)
    row.update(rated)
    return row


def _store(records, actor):
    """Insert, charge and settle one batch of new CDRs; returns how many were rated."""
    context = _Context(records)
    now = utcnow()
    rows = [_row(record, context, now) for record in records]
    # One Core executemany (the ORM would split the batch wherever a value is None), then the ids by
    # uuid: RETURNING over many rows is far slower on SQLite.
    bulk_insert(Cdr.__table__, rows)
    id_of = {}
    for chunk in _chunks(row["uuid"] for row in rows):
        id_of.update(db.session.execute(select(Cdr.uuid, Cdr.id).where(Cdr.uuid.in_(chunk))).all())
    ids = [id_of[row["uuid"]] for row in rows]
    charges = [Charge(cdr_id, row["account_id"], row["price"], row["number"], row["cost"], row["cost_currency"],
                      row.get("provider_id"))
               for cdr_id, row in zip(ids, rows)
               if row["status"] == "rated" and (row["price"] or (row["cost"] and row.get("provider_id")))]
    if charges:
        charge_calls(charges, actor)
    for chunk in _chunks(r.uuid for r in records):
        db.session.execute(update(Hold).where(Hold.call_uuid.in_(chunk), Hold.status == "open")
                           .values(status="settled", closed_at=now))
    return sum(1 for row in rows if row["status"] == "rated")


def ingest(records, actor=audit.SYSTEM):
    """Take a batch of parsed records (RawCdr or Rejected); the caller commits."""
    result = IngestResult(rejected=[{"index": r.index, "error": r.error} for r in records if isinstance(r, Rejected)])
    seen, unique = set(), []
    for record in records:
        if isinstance(record, RawCdr):
            if record.uuid in seen:
                result.duplicates += 1
            else:
                seen.add(record.uuid)
                unique.append(record)
    for attempt in range(2):
        known = _known_uuids(seen)
        fresh = [r for r in unique if r.uuid not in known]
        try:
            with db.session.begin_nested():
                result.rated = _store(fresh, actor) if fresh else 0
            break
        except IntegrityError:
            # Another batch stored some of these uuids meanwhile: look again and keep the rest.
            if attempt:
                raise
    result.duplicates += len(unique) - len(fresh)
    result.accepted = len(fresh)
    return result
