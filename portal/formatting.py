"""How money, times and numbers are shown to people: babel, in their currency, language and zone."""
import copy
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_currency
from flask_login import current_user


def money(amount, currency, locale="en", digits=None):
    """`€1,234.50` for people; the stored value keeps all its places, display shows the currency's
    own (or `digits`, e.g. 4 for per-minute rates), laid out as the locale writes money: `9,90 €`
    and `0,0610 €` in German, `€9.90` and `€0.0610` in English."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    if digits is None:
        return format_currency(amount, currency, locale=locale)
    return format_currency(amount, currency, locale=locale, format=_currency_pattern(locale, digits),
                           currency_digits=False)


@lru_cache(maxsize=64)
def _currency_pattern(locale, digits):
    """The locale's own currency pattern (symbol side, spacing, signs) with `digits` decimal places.
    A copy: babel shares the locale's pattern object between callers."""
    pattern = copy.copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern


def local_time(value, zone="UTC", fmt="%Y-%m-%d %H:%M"):
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def _user_locale():
    account = getattr(current_user, "account", None) if current_user.is_authenticated else None
    return account.language if account is not None else "en"


def _user_zone():
    account = getattr(current_user, "account", None) if current_user.is_authenticated else None
    return account.timezone if account is not None else "UTC"


def init_formatting(app):
    @app.template_filter("money")
    def money_filter(amount, currency, digits=None):
        return money(amount, currency, _user_locale(), digits)

    @app.template_filter("localtime")
    def localtime_filter(value, fmt="%Y-%m-%d %H:%M"):
        return local_time(value, _user_zone(), fmt)
