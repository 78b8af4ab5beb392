"""CDRs in: stored once per uuid, rated, charged to the ledger, holds settled, traces kept.
A CDR that cannot be rated is stored with its reason and charges nothing (DESIGN §7)."""
from collections import namedtuple
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit
from portal.cdrs.parsers import RawCdr, Rejected
from portal.extensions import db
from portal.ledger.holds import holders, settle_holds
from portal.ledger.locks import lock_accounts
from portal.ledger.operations import charge_calls
from portal.models import Account, Cdr, Provider, Switch
from portal.models.bulk import chunks, convert
from portal.models.types import utcnow
from portal.rating import UnknownVoipPlan
from portal.tariffs.cache import rating_engine
from portal.tariffs.loader import account_dial_rules

#: What the ledger needs of a stored, rated call.
Charge = namedtuple("Charge", "id account_id price number cost cost_currency provider_id")


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


def _known_uuids(uuids):
    known = set()
    for chunk in chunks(uuids):
        known.update(db.session.scalars(select(Cdr.uuid).where(Cdr.uuid.in_(chunk))))
    return known


class Context:
    """What rating a batch needs, as plain values (no ORM objects, so it survives a fork): accounts
    by code, providers and switches by name, and the rating engine. `codes=None` reads every account."""

    def __init__(self, codes=None):
        query = select(Account).options(selectinload(Account.dial_rules))
        self.accounts = {}
        for chunk in ([None] if codes is None else chunks(codes)):
            for account in db.session.scalars(query if chunk is None else query.where(Account.code.in_(chunk))):
                self.accounts[account.code] = (account.id, account.voip_plan_id, account_dial_rules(account))
        # Every provider: the cost may come from the first LCR route when the CDR names none.
        self.providers = dict(db.session.execute(select(Provider.name, Provider.id)).all())
        self.switches = dict(db.session.execute(select(Switch.name, Switch.id)).all())
        self.engine = rating_engine()


def rate_record(record, context):
    """The rated columns of one CDR (status, number, price, cost, trace…)."""
    found = context.accounts.get(record.account)
    if found is None:
        return {"status": "unknown_account", "trace": {"status": "unknown_account", "account": record.account}}
    account_id, voip_plan_id, rules = found
    base = {"account_id": account_id}
    if voip_plan_id is None:
        return {**base, "status": "no_rate", "trace": {"status": "no_rate", "reason": "account has no VoIP plan"}}
    stranger = record.provider if record.provider and record.provider not in context.providers else None
    try:
        rated = context.engine.rate(voip_plan_id, record.caller, record.callee, record.answer or record.start,
                                    record.billsec, rules, provider=None if stranger else record.provider or None)
    except UnknownVoipPlan:
        return {**base, "status": "no_rate", "trace": {"status": "no_rate", "reason": "unknown VoIP plan"}}
    columns = {**base, "status": rated.status, "number": rated.number or "", "trace": rated.trace}
    if rated.status != "rated":
        return columns
    margin = rated.price - rated.cost if rated.cost is not None and rated.cost_currency == rated.currency else None
    carrier = context.providers.get(rated.provider) if rated.provider and not stranger else None
    if stranger:
        rated.trace["cost_note"] = _stranger_note(stranger, rated.provider)
    return {**columns, "destination_prefix": rated.destination.prefix, "destination": rated.destination.name,
            "billable_seconds": rated.billable_seconds, "price": rated.price, "currency": rated.currency,
            "cost": rated.cost, "cost_currency": rated.cost_currency, "margin": margin, "provider_id": carrier}


def _stranger_note(named, first_route):
    """Why a call carried by a provider we do not know has the cost it has (DESIGN §3.7: the
    carrying provider's rate, else the first LCR route's). It is an estimate, so it is booked to
    no provider's payable: we owe the first route nothing for a call it did not carry."""
    if first_route is None:
        return f"provider {named!r} is not known and there is no LCR route: no cost"
    return (f"provider {named!r} is not known: cost estimated from the first LCR route ({first_route}), "
            "not booked to any provider's payable")


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


@dataclass
class Prepared:
    """A batch parsed, rated and converted for the database, ready to store. Made by `prepare`,
    possibly in another process: everything in it is plain data."""

    sql: str = ""
    uuids: list = field(default_factory=list)
    values: list = field(default_factory=list)
    #: Per row: the account's id, or None (an account we do not know).
    accounts: list = field(default_factory=list)
    #: Per row: what the ledger needs (account, price, number, cost, cost currency, provider), or None.
    charges: list = field(default_factory=list)
    rated: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    duplicates: int = 0


def prepare(records, context, dialect, now=None):
    """Rate a batch of parsed records (RawCdr or Rejected) and convert its rows; no database access."""
    now = now or utcnow()
    prepared = Prepared(rejected=[{"index": r.index, "error": r.error} for r in records if isinstance(r, Rejected)])
    seen, rows = set(), []
    for record in records:
        if isinstance(record, RawCdr):
            if record.uuid in seen:
                prepared.duplicates += 1
            else:
                seen.add(record.uuid)
                rows.append(_row(record, context, now))
    if not rows:
        return prepared
    prepared.sql, prepared.values = convert(Cdr.__table__, rows, dialect)
    prepared.uuids = [row["uuid"] for row in rows]
    prepared.accounts = [row["account_id"] for row in rows]
    prepared.rated = [row["status"] == "rated" for row in rows]
    prepared.charges = [
        (row["account_id"], row["price"], row["number"], row["cost"], row["cost_currency"], row.get("provider_id"))
        if row["status"] == "rated" and (row["price"] or (row["cost"] and row.get("provider_id"))) else None
        for row in rows]
    return prepared


def _insert(prepared, keep, held_by, actor):
    """Insert the kept rows, charge them and settle their holds (those of the accounts `held_by`).
    Every account the batch touches, its calls' and their holds', is locked first, in the one order
    (`portal.ledger.locks`): batches of the same or overlapping accounts then wait for each other
    at the start, and never each hold a lock, a hold's row or a new ledger account the other waits
    for. On SQLite that lock is the transaction's first statement, so that it waits for the write
    lock (a transaction that has read first cannot wait: its snapshot may be stale)."""
    uuids = [prepared.uuids[i] for i in keep]
    lock_accounts({prepared.accounts[i] for i in keep} - {None} | held_by)
    db.session.connection().exec_driver_sql(prepared.sql, [prepared.values[i] for i in keep])
    ids = dict(zip(uuids, _new_ids(uuids)))
    charges = [Charge(ids[prepared.uuids[i]], *prepared.charges[i]) for i in keep if prepared.charges[i]]
    released = settle_holds(uuids) if held_by else {}
    if charges or released:
        charge_calls(charges, actor, released)


def _new_ids(uuids):
    """The ids the rows just inserted got, in order. SQLite numbers them max + 1, max + 2… while this
    transaction holds its write lock; PostgreSQL's sequence may interleave, so ask it by uuid."""
    if db.session.get_bind().dialect.name == "sqlite":
        last = db.session.scalar(select(func.max(Cdr.id)))
        return range(last - len(uuids) + 1, last + 1)
    id_of = {}
    for chunk in chunks(uuids):
        id_of.update(db.session.execute(select(Cdr.uuid, Cdr.id).where(Cdr.uuid.in_(chunk))).all())
    return [id_of[uuid] for uuid in uuids]


def store(prepared, actor=audit.SYSTEM):
    """Store a prepared batch: uuids already stored count as duplicates; the caller commits."""
    result = IngestResult(rejected=prepared.rejected, duplicates=prepared.duplicates)
    keep = []
    for attempt in range(2):
        known = _known_uuids(prepared.uuids)
        keep = [i for i, uuid in enumerate(prepared.uuids) if uuid not in known]
        held_by = holders([prepared.uuids[i] for i in keep])
        try:
            with db.session.begin_nested():
                if keep:
                    _insert(prepared, keep, held_by, actor)
            break
        except IntegrityError:
            # Another batch stored some of these uuids meanwhile: look again and keep the rest.
            if attempt:
                raise
    result.duplicates += len(prepared.uuids) - len(keep)
    result.accepted = len(keep)
    result.rated = sum(1 for i in keep if prepared.rated[i])
    return result


def ingest(records, actor=audit.SYSTEM):
    """Take a batch of parsed records (RawCdr or Rejected); the caller commits."""
    context = Context({r.account for r in records if isinstance(r, RawCdr)})
    return store(prepare(records, context, db.session.get_bind().dialect), actor)
