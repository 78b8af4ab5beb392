"""Column types shared by the models.

SQLite has no decimal type: SQLAlchemy's own Numeric would round-trip money through a float there
(and warns about it). `Money` stores an exact scaled integer on SQLite and NUMERIC on PostgreSQL,
so a float never touches money on either database.
"""
from datetime import UTC, datetime
from decimal import Decimal

import orjson
from sqlalchemy import BigInteger, Numeric
from sqlalchemy.types import DateTime, TypeDecorator

MONEY_SCALE = 6


class Money(TypeDecorator):
    """An exact decimal with `scale` places: NUMERIC on PostgreSQL, scaled BIGINT elsewhere."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision=18, scale=MONEY_SCALE):
        super().__init__(precision=precision, scale=scale)
        self.precision = precision
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))
        return dialect.type_descriptor(BigInteger())

    def bind_processor(self, dialect):
        """One closure per dialect: bulk inserts convert millions of values through it."""
        scale, factor = self.scale, self._factor
        postgresql = dialect.name == "postgresql"

        def process(value):
            if value is None:
                return None
            if isinstance(value, float):
                raise TypeError("money must be a Decimal, never a float")
            if not isinstance(value, Decimal):
                value = Decimal(value)
            scaled = value * factor
            if scaled != scaled.to_integral_value():
                raise ValueError(f"{value} has more than {scale} decimal places")
            return value if postgresql else int(scaled)

        return process

    def result_processor(self, dialect, coltype):
        step = Decimal(1).scaleb(-self.scale)
        if dialect.name == "postgresql":
            return lambda value: None if value is None else Decimal(value)
        factor = self._factor
        return lambda value: None if value is None else (Decimal(int(value)) / factor).quantize(step)

    class comparator_factory(TypeDecorator.Comparator):
        """Money plus or minus money is still money, so SUMs and balance updates stay exact."""

        def _adapt_expression(self, op, other_comparator):
            from sqlalchemy.sql import operators

            if op in (operators.add, operators.sub) and isinstance(other_comparator.type, Money):
                return op, self.type
            return super()._adapt_expression(op, other_comparator)

    def coerce_compared_value(self, op, value):
        """Literals added, subtracted or compared are money; multipliers and divisors are not."""
        from sqlalchemy.sql import operators

        if op in (operators.mul, operators.truediv, operators.floordiv):
            return Numeric()
        return self


def utcnow():
    """Aware UTC now: every stored time is UTC; people see it in their own zone."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always handed back aware, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect):
        """Aware UTC in; SQLite keeps it naive (its text form has no zone), PostgreSQL aware."""
        naive = dialect.name == "sqlite"
        impl_process = self.impl_instance.dialect_impl(dialect).bind_processor(dialect)

        last = [None, None]  # a batch stamps many rows with one moment: convert it once

        def process(value):
            if value is None:
                return None
            if value is last[0]:
                return last[1]
            original = value
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            elif value.utcoffset():
                value = value.astimezone(UTC)
            if naive:
                value = value.replace(tzinfo=None)
            value = impl_process(value) if impl_process else value
            last[:] = original, value
            return value

        return process

    def result_processor(self, dialect, coltype):
        impl_process = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)

        def process(value):
            if impl_process is not None:
                value = impl_process(value)
            if value is None:
                return None
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value.astimezone(UTC)

        return process


def one_of(column, values):
    """SQL for a CHECK constraint that keeps a column within a fixed set of words."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def dumps_json(value):
    """JSON columns (CDR traces: one per call) through orjson, several times faster than json."""
    return orjson.dumps(value, default=str).decode()
