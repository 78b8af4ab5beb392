"""Decimal money for rating: one way in, one way to round.

A float is refused outright: 0.1 has no exact binary form, so a price built from one is already
wrong before any arithmetic happens, and the error would only show up as a cent on an invoice.
"""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, InvalidOperation

ZERO = Decimal(0)

#: All rating arithmetic runs in this context rather than the thread's current one, so what a
#: call costs cannot depend on a precision or rounding mode the application happened to set.
#: 34 digits hold any price of any call exactly enough to round it to 10 decimals.
RATING_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)


def to_decimal(value: Decimal | str | int, what: str = "amount") -> Decimal:
    """Make a finite Decimal from a Decimal, a decimal string or an int; never from a float."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{what} must be a Decimal, a decimal string or an int, not {type(value).__name__}")
    else:
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, not {value!r}")
    return number


def quantum(decimals: int) -> Decimal:
    """The smallest step of a plan's prices: 4 decimals -> Decimal('0.0001')."""
    return Decimal(1).scaleb(-decimals, RATING_CONTEXT)


def round_half_up(amount: Decimal, step: Decimal) -> Decimal:
    """Round a price the one way the design allows, once per call."""
    return amount.quantize(step, ROUND_HALF_UP, RATING_CONTEXT)


def round_down(amount: Decimal, step: Decimal) -> Decimal:
    """What a budget is worth in whole steps: a price can never land between two of them."""
    return amount.quantize(step, ROUND_FLOOR, RATING_CONTEXT)
