"""How money, times and numbers are shown to people: babel, in their currency, language and zone."""
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from flask_login import current_user


def money(amount, currency, locale="en", digits=None):
    """`€1,234.50` for people; the stored value keeps all its places, display shows the currency's
    own (or `digits`, e.g. 4 for per-minute rates)."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    if digits is None:
        return format_currency(amount, currency, locale=locale)
    pattern = "¤#,##0" + ("." + "0" * digits if digits else "")
    return format_currency(amount, currency, locale=locale, format=pattern, currency_digits=False)


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
