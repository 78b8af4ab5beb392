"""Gapless document numbers per kind and year: INV-2026-000001, CN-2026-000001.

The counter row is locked (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the issuing transaction
already holds the database's write lock) and bumped in the transaction that inserts the document:
if that transaction rolls back, so does the number, and nobody else can take the next one meanwhile.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import DocumentSequence

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


def next_number(kind, year):
    """The next number of `kind` in `year`, taken inside the caller's transaction."""
    sequence = _locked(kind, year)
    if sequence is None:
        try:
            with db.session.begin_nested():
                db.session.add(DocumentSequence(kind=kind, year=year, last_number=0))
        except IntegrityError:
            pass  # another transaction created the year's counter first: lock theirs
        sequence = _locked(kind, year)
    sequence.last_number += 1
    db.session.flush()
    return format_number(kind, year, sequence.last_number)


def format_number(kind, year, number):
    return f"{PREFIXES[kind]}-{year}-{number:06d}"


def _locked(kind, year):
    return db.session.scalar(select(DocumentSequence)
                             .where(DocumentSequence.kind == kind, DocumentSequence.year == year)
                             .with_for_update().execution_options(populate_existing=True))
