"""Teach Flask-Admin our column types: `Money` is an exact decimal (never a float filter) and
`UTCDateTime` is a datetime."""
from decimal import Decimal, InvalidOperation

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import filters
from flask_admin.model.form import converts


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


class FilterConverter(sqla_filters.FilterConverter):
    @filters.convert("Money")
    def conv_money(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in (DecimalEqual, DecimalNotEqual, DecimalGreater,
                                                    DecimalSmaller, sqla_filters.FilterEmpty)]

    @filters.convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return self.conv_datetime(column, name, **kwargs)


class ModelConverter(AdminModelConverter):
    @converts("Money")
    def conv_money(self, column, field_args, **extra):
        return self.handle_decimal_types(column, field_args, **extra)

    @converts("UTCDateTime")
    def conv_utc_datetime(self, column, field_args, **extra):
        return self.convert_datetime(column=column, field_args=field_args, **extra)
