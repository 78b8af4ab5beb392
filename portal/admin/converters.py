"""Teach Flask-Admin our column types: `Money` is an exact decimal (never a float filter),
`UTCDateTime` is a datetime, and an integer filter takes only what its column holds."""
from decimal import Decimal, InvalidOperation

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import filters
from flask_admin.model.form import converts
from sqlalchemy import BigInteger, SmallInteger
from wtforms.validators import StopValidation

from portal.ledger.amounts import parse_amount
from portal.ledger.errors import InvalidAmount
from portal.urls import LARGEST_ID


def largest_int(column_type):
    """The largest value an integer column holds on both databases."""
    if isinstance(column_type, SmallInteger):
        return 2**15 - 1
    if isinstance(column_type, BigInteger):
        return 2**63 - 1
    return LARGEST_ID


class _DecimalClean:
    """Filter values parsed as Decimal, so a money filter compares exactly."""

    def validate(self, value):
        try:
            Decimal(value)
        except (InvalidOperation, TypeError):
            return False
        return True

    def clean(self, value):
        return Decimal(value)


class DecimalEqual(_DecimalClean, sqla_filters.FilterEqual):
    pass


class DecimalNotEqual(_DecimalClean, sqla_filters.FilterNotEqual):
    pass


class DecimalGreater(_DecimalClean, sqla_filters.FilterGreater):
    pass


class DecimalSmaller(_DecimalClean, sqla_filters.FilterSmaller):
    pass


class _InRange:
    """An integer filter value beyond its column's range is refused (Flask-Admin then says the
    value is invalid) instead of being sent to the database, which overflows on it."""

    def clean(self, value):
        cleaned = super().clean(value)
        largest = largest_int(self.column.type)
        if any(not -largest - 1 <= number <= largest for number in (cleaned if isinstance(cleaned, list) else
                                                                     [cleaned])):
            raise ValueError(f"beyond ±{largest}")
        return cleaned


class IntEqual(_InRange, sqla_filters.IntEqualFilter):
    pass


class IntNotEqual(_InRange, sqla_filters.IntNotEqualFilter):
    pass


class IntGreater(_InRange, sqla_filters.IntGreaterFilter):
    pass


class IntSmaller(_InRange, sqla_filters.IntSmallerFilter):
    pass


class IntInList(_InRange, sqla_filters.IntInListFilter):
    pass


class IntNotInList(_InRange, sqla_filters.IntNotInListFilter):
    pass


class FilterConverter(sqla_filters.FilterConverter):
    int_filters = (IntEqual, IntNotEqual, IntGreater, IntSmaller, sqla_filters.FilterEmpty, IntInList, IntNotInList)

    @filters.convert("Money")
    def conv_money(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in (DecimalEqual, DecimalNotEqual, DecimalGreater,
                                                    DecimalSmaller, sqla_filters.FilterEmpty)]

    @filters.convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return self.conv_datetime(column, name, **kwargs)


class _IntInColumn:
    """First of an integer field's validators: a number its column cannot hold stops the rest
    (Flask-Admin's unique check would send it to the database, which overflows on it)."""

    def __init__(self, largest):
        self.largest = largest

    def __call__(self, form, field):
        if field.data is not None and not -self.largest - 1 <= field.data <= self.largest:
            raise StopValidation(f"Must be between {-self.largest - 1} and {self.largest}.")


class _MoneyInColumn:
    """First of a money field's validators: the ledger's own parser decides (six places, below
    10^12, finite), so 1e400 is a message on the form rather than an error from the database."""

    def __call__(self, form, field):
        if field.data is not None:
            try:
                parse_amount(field.data)
            except InvalidAmount as error:
                raise StopValidation(error.message) from None


class ModelConverter(AdminModelConverter):
    @converts("Money")
    def conv_money(self, column, field_args, **extra):
        field_args["validators"].insert(0, _MoneyInColumn())
        return self.handle_decimal_types(column, field_args, **extra)

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        field_args["validators"].insert(0, _IntInColumn(largest_int(column.type)))
        return super().handle_integer_types(column, field_args, **extra)

    @converts("UTCDateTime")
    def conv_utc_datetime(self, column, field_args, **extra):
        return self.convert_datetime(column=column, field_args=field_args, **extra)
