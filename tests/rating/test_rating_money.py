"""Money enters the rating engine only as Decimal, made by one helper that refuses floats."""

from decimal import Decimal

import pytest

from portal.rating import Rate, TariffError, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0125", Decimal("0.0125")),
        (" 1.50 ", Decimal("1.50")),
        (5, Decimal(5)),
        (Decimal("0.1"), Decimal("0.1")),
        ("1e-3", Decimal("0.001")),
    ],
)
def test_to_decimal_accepts_strings_ints_and_decimals(value, expected):
    assert to_decimal(value) == expected
    assert type(to_decimal(value)) is Decimal


@pytest.mark.parametrize("value", [0.1, 1.0, True, None, [1]])
def test_to_decimal_refuses_floats_and_other_types(value):
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", Decimal("NaN"), Decimal("-Infinity")])
def test_to_decimal_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match="amount"):
        to_decimal(value)


def test_a_rate_refuses_a_float_price():
    with pytest.raises(TypeError, match="rate"):
        Rate(prefix="44", rate=0.01)


def test_a_rate_stores_string_prices_as_decimals():
    rate = Rate(prefix="44", rate="0.0100", rate_peak="0.02", connect_fee=1)
    assert (rate.rate, rate.rate_peak, rate.connect_fee) == (Decimal("0.0100"), Decimal("0.02"), Decimal(1))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rate": "0.01"}, "exactly one of prefix and number"),
        ({"prefix": "44", "number": "442071234567", "rate": "0.01"}, "exactly one"),
        ({"prefix": "+44", "rate": "0.01"}, "prefix must be"),
        ({"prefix": "٤٤", "rate": "0.01"}, "prefix must be"),
        ({"prefix": "44\n", "rate": "0.01"}, "prefix must be"),
        ({"number": "٤٤٢٠٧٩٤٦٠٠٠٠", "rate": "0.01"}, "number must be"),
        ({"prefix": "44", "rate": "NaN"}, "rate must be finite"),
        ({"prefix": "", "rate": "0.01"}, "prefix must be"),
        ({"number": "12", "rate": "0.01"}, "number must be"),
        ({"prefix": "44", "rate": "-0.01"}, "cannot be negative"),
        ({"prefix": "44", "rate": "0.01", "connect_fee": "-1"}, "cannot be negative"),
        ({"prefix": "44", "rate": "0.01", "t1": -1}, "t1"),
        ({"prefix": "44", "rate": "0.01", "t2": 0}, "t2"),
        ({"prefix": "44", "rate": "0.01", "t2": True}, "t2"),
    ],
)
def test_a_bad_rate_row_is_refused_with_its_reason(fields, message):
    with pytest.raises(TariffError, match=message) as refused:
        Rate(**fields)
    assert str(refused.value) in refused.value.fields.values()  # named for the form field it is about
