"""Money amounts as the ledger takes and gives them: one parser for every operation, bounded by what
a Money column holds, and one way to write an amount back out (six places, never an exponent)."""
import re
from decimal import Decimal

from portal.ledger.errors import BalanceOutOfRange, CreditLimitOutOfRange, InvalidAmount
from portal.models import Account

_COLUMN = Account.__table__.c.balance.type
#: The smallest step of money: the scale of every Money column.
STEP = Decimal(1).scaleb(-_COLUMN.scale)
#: Every amount a Money column holds is below this in magnitude (NUMERIC(18, 6): twelve whole digits).
LIMIT = Decimal(10) ** (_COLUMN.precision - _COLUMN.scale)
#: A decimal string as JSON writes a number: no underscores (Python's Decimal takes "1_000"), no NaN.
DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_amount(value, limit=LIMIT):
    """A Decimal that a Money column holds exactly, from a Decimal, an int or a decimal string;
    anything else (a float, "1_000", 1e30, a seventh place) is InvalidAmount, and so is an
    amount not below `limit` in magnitude (a Money column's, unless a smaller one is given)."""
    if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value.strip()):
        value = Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise InvalidAmount('The amount must be a decimal number such as "12.50".', amount="must be a decimal number")
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidAmount("The amount must be a finite number.", amount="must be finite")
    if number.copy_abs() >= limit:  # before quantize (1e30 to six places overflows); copy_abs never rounds
        raise InvalidAmount(f"The amount must be below {limit:f}.", amount=f"must be below {limit:f}")
    if number != number.quantize(STEP):
        raise InvalidAmount("The amount has more than six decimal places.", amount="at most six decimal places")
    return number


def positive_amount(value):
    """What payments, returns, credit, fees and vouchers take: strictly positive."""
    number = parse_amount(value)
    if number <= 0:
        raise InvalidAmount("The amount must be greater than zero.", amount="must be greater than zero")
    return number


def nonzero_amount(value):
    """What an adjustment takes: signed, but never zero."""
    number = parse_amount(value)
    if number == 0:
        raise InvalidAmount("An adjustment cannot be zero.", amount="must not be zero")
    return number


def money_text(value):
    """An amount as the API answers it: "1000.000000", not "1E+3"."""
    return f"{value.quantize(STEP):f}"


def check_balance(account):
    """A cached balance must fit its column; the operation that would push it beyond is refused."""
    if abs(account.balance) >= LIMIT:
        raise BalanceOutOfRange(f"This would take the balance of {account.code} beyond ±{LIMIT:f}.",
                                amount=f"the balance must stay below {LIMIT:f} in magnitude")


def check_credit_limit(limit):
    if limit >= LIMIT:
        raise CreditLimitOutOfRange(f"A credit limit must be below {LIMIT:f}.", amount=f"the limit must stay below {LIMIT:f}")
