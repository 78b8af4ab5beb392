"""The same money request twice posts once: the first answer is stored under its key and replayed.

The record is inserted before the operation runs, in the same transaction. A second request with
the key waits on the first one's row (unique key), then finds it and replays; if the first rolled
back, the second simply runs.
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


def fingerprint(request):
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def claim(key, request):
    """Reserve `key` for this request, or raise Replay / IdempotencyConflict if it was used."""
    digest = fingerprint(request)
    existing = db.session.get(IdempotencyRecord, key)
    if existing is None:
        record = IdempotencyRecord(key=key, request_hash=digest, response="")
        try:
            with db.session.begin_nested():
                db.session.add(record)
            return record
        except IntegrityError:
            existing = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key)
                                         .execution_options(populate_existing=True))
    if existing.request_hash != digest:
        raise IdempotencyConflict("This Idempotency-Key was used for a different request.", key=key)
    raise Replay(json.loads(existing.response), existing.status_code)


def remember(record, response, status_code):
    record.response = json.dumps(response, default=str, sort_keys=True)
    record.status_code = status_code
