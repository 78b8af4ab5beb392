"""Bulk inserts for the ingest path: one compiled statement, values converted by the columns' own
types, handed to the driver's executemany. The ORM's per-row bookkeeping is what this skips; the
types (exact money, UTC times, JSON) are applied exactly as everywhere else."""
from functools import lru_cache

from sqlalchemy import insert

from portal.extensions import db

#: Values bound in one lookup (`IN (…)`): SQLite allows a limited number of them.
CHUNK = 500


def chunks(items):
    """`items` in lists of at most CHUNK, each small enough to bind in one statement."""
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


@lru_cache(maxsize=64)
def _statement(table, keys, dialect):
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    processors = []
    for key in keys:
        processor = table.c[key].type._cached_bind_processor(dialect)
        processors.append(processor)
    if compiled.positional:
        order = [keys.index(name) for name in compiled.positiontup]
    else:
        order = None
    return str(compiled), tuple(processors), order


def bulk_insert(table, rows):
    """Insert `rows` (dicts with the same keys) into `table` in the current transaction."""
    if rows:
        sql, converted = convert(table, rows, db.session.get_bind().dialect)
        db.session.connection().exec_driver_sql(sql, converted)


def convert(table, rows, dialect):
    """(SQL, parameters) for inserting `rows`: plain values the driver takes as they are, so the work
    can be done apart from the insert (in another process, for file imports)."""
    keys = tuple(rows[0])
    sql, processors, order = _statement(table, keys, dialect)
    converted = []
    pairs = tuple(zip(keys, processors))
    for row in rows:
        values = [value if processor is None or value is None else processor(value)
                  for value, processor in ((row[key], processor) for key, processor in pairs)]
        converted.append(tuple(values[i] for i in order) if order is not None else dict(zip(keys, values)))
    return sql, converted
