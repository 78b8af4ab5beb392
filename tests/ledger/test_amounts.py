"""Every money amount goes through one parser: decimal strings, ints and Decimals that a Money
column holds exactly; everything else is `invalid_amount`. Answers write amounts one way."""
from decimal import Decimal

import pytest

from portal.ledger.amounts import money_text, nonzero_amount, parse_amount, positive_amount
from portal.ledger.errors import InvalidAmount

D = Decimal


@pytest.mark.parametrize("value, expected", [
    ("12.5", D("12.5")),
    (" 7 ", D(7)),
    ("1e3", D(1000)),
    ("1E+3", D(1000)),
    (".5", D("0.5")),
    ("5.", D(5)),
    ("-3.25", D("-3.25")),
    ("+2", D(2)),
    (5, D(5)),
    (D("0.000001"), D("0.000001")),
    ("999999999999.999999", D("999999999999.999999")),
    ("0", D(0)),
])
def test_decimal_strings_ints_and_decimals_are_amounts(value, expected):
    assert parse_amount(value) == expected


@pytest.mark.parametrize("value, why", [
    ("1_000", "must be a decimal number"),
    ("abc", "must be a decimal number"),
    ("", "must be a decimal number"),
    ("1 000", "must be a decimal number"),
    ("1,5", "must be a decimal number"),
    ("NaN", "must be a decimal number"),
    ("Infinity", "must be a decimal number"),
    ("１２", "must be a decimal number"),  # full-width digits, which Decimal would take
    (0.5, "must be a decimal number"),
    (True, "must be a decimal number"),
    (None, "must be a decimal number"),
    ([1], "must be a decimal number"),
    (D("NaN"), "must be finite"),
    (D("-Infinity"), "must be finite"),
    ("1e30", "must be below 1000000000000"),
    ("1e15", "must be below 1000000000000"),
    (D("1e12"), "must be below 1000000000000"),
    (-10 ** 12, "must be below 1000000000000"),
    ("1e999999999", "must be below 1000000000000"),
    ("0.0000001", "at most six decimal places"),
    ("1e-999999999", "at most six decimal places"),
    ("1e-7", "at most six decimal places"),
])
def test_anything_else_is_an_invalid_amount(value, why):
    with pytest.raises(InvalidAmount) as refused:
        parse_amount(value)
    assert (refused.value.status, refused.value.fields) == (400, {"amount": why})


@pytest.mark.parametrize("parse, value", [
    (positive_amount, "0"), (positive_amount, "-1"), (nonzero_amount, "0"), (nonzero_amount, "-0.000"),
])
def test_operations_that_need_a_sign_refuse_the_wrong_one(parse, value):
    with pytest.raises(InvalidAmount):
        parse(value)


@pytest.mark.parametrize("value, text", [
    (D("1E+3"), "1000.000000"), (D("12.5"), "12.500000"), (D("-0.1234"), "-0.123400"), (D(0), "0.000000"),
])
def test_amounts_are_written_with_six_places_and_no_exponent(value, text):
    assert money_text(value) == text
