"""How invoice amounts are rounded, in one place.

Calls are priced and rounded once each by rating (to their plan's decimals, DESIGN §3). An invoice
shows the currency's minor units (cents; none for JPY, three for KWD), rounded half up:

- a usage line is the sum of its calls' prices, then rounded;
- a fee line is the fee (times its quantity), rounded;
- the subtotal is the sum of the rounded lines, so the lines on the page add up to it;
- tax = round(subtotal × rate / 100), once per invoice, never per line;
- total = subtotal + tax.

What rounding the usage lines adds or removes is posted to the ledger at the close, so the
customer's ledger moves by exactly the invoice total.
"""
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from portal.rating.money import to_decimal

HUNDRED = Decimal(100)


def minor_unit(currency):
    """Decimal("0.01") for EUR, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def to_minor(amount, currency):
    """`amount` rounded half up to the currency's minor unit."""
    return to_decimal(amount).quantize(minor_unit(currency), ROUND_HALF_UP)


def tax_on(subtotal, rate, currency):
    """The tax of a whole invoice: round(subtotal × rate / 100)."""
    return to_minor(to_decimal(subtotal) * to_decimal(rate) / HUNDRED, currency)


def minutes(seconds):
    """Billable seconds as minutes with two places, for quantities on invoice lines."""
    return (to_decimal(seconds) / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)
