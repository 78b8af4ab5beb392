"""The same money request twice posts once: the first answer is stored under its key and replayed.

The operation locks its account first and then claims the key, inside the one transaction that
also posts: a second request with the key waits on the lock, then finds the first one's record and
replays it; if the first was refused and rolled back, its record went with it and the second simply
runs. (Locking first matters on SQLite: pysqlite sends no BEGIN before a SAVEPOINT, so a claim made
before anything else was written would be committed alone by the savepoint's RELEASE.)
"""
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.ledger.errors import IdempotencyConflict
from portal.models import IdempotencyRecord


class Replay(Exception):
    """Raised to hand back the stored answer of an earlier request with this key."""

    def __init__(self, response, status_code):
        super().__init__("replay")
        self.response = response
        self.status_code = status_code


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(request):
    return _sha256(json.dumps(request, sort_keys=True, default=str))


def claim(key, request):
    """Reserve `key` for this request, or raise Replay / IdempotencyConflict if it was used.

    The key is stored as its SHA-256, so a client's key of any length, with any scope prefixed, fits
    the column."""
    stored, digest = _sha256(key), fingerprint(request)
    existing = db.session.get(IdempotencyRecord, stored)
    if existing is None:
        record = IdempotencyRecord(key=stored, request_hash=digest, response="")
        try:
            with db.session.begin_nested():
                db.session.add(record)
            return record
        except IntegrityError:  # the same key on another account, claimed at the same moment
            existing = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == stored)
                                         .execution_options(populate_existing=True))
    if existing.request_hash != digest:
        raise IdempotencyConflict("This Idempotency-Key was used for a different request.", key="used")
    if not existing.response:
        raise IdempotencyConflict("A request with this Idempotency-Key has not finished; retry it later.",
                                  key="in progress")
    raise Replay(json.loads(existing.response), existing.status_code)


def remember(record, response, status_code):
    record.response = json.dumps(response, default=str, sort_keys=True)
    record.status_code = status_code
