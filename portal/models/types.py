"""Column types shared by the models.

SQLite has no decimal type: SQLAlchemy's own Numeric would round-trip money through a float there
(and warns about it). `Money` stores an exact scaled integer on SQLite and NUMERIC on PostgreSQL,
so a float never touches money on either database.
"""
from datetime import UTC, datetime
from decimal import Decimal

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

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        value = Decimal(value)
        if value != value.quantize(Decimal(1).scaleb(-self.scale)):
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if dialect.name == "postgresql":
            return value
        return int(value * self._factor)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return Decimal(value)
        return (Decimal(int(value)) / self._factor).quantize(Decimal(1).scaleb(-self.scale))

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

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def one_of(column, values):
    """SQL for a CHECK constraint that keeps a column within a fixed set of words."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"
