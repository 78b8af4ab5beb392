"""The rounding rules of invoice amounts and the bounds of a billing month."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.invoicing.amounts import minor_unit, tax_on, to_minor
from portal.invoicing.period import Period

subtotals = st.decimals("0", "1000000", places=2)
rates = st.decimals("0", "100", places=4)


@given(subtotals, rates)
def test_tax_is_the_subtotal_times_the_rate_rounded_half_up_once(subtotal, rate):
    tax = tax_on(subtotal, rate, "EUR")
    exact = subtotal * rate / 100
    assert tax == tax.quantize(Decimal("0.01"))
    assert abs(tax - exact) <= Decimal("0.005")
    if abs(tax - exact) == Decimal("0.005"):
        assert tax > exact  # halves go up


@pytest.mark.parametrize("currency, unit", [("EUR", Decimal("0.01")), ("JPY", Decimal(1)), ("KWD", Decimal("0.001"))])
def test_amounts_round_to_the_currencys_minor_unit(currency, unit):
    assert minor_unit(currency) == unit
    assert to_minor(Decimal("10.0005"), currency) == Decimal("10.0005").quantize(unit, "ROUND_HALF_UP")


@pytest.mark.parametrize("zone, start, end", [
    ("UTC", datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2025, 9, 30, 22, tzinfo=UTC), datetime(2025, 10, 31, 23, tzinfo=UTC)),
    ("Pacific/Kiritimati", datetime(2025, 9, 30, 10, tzinfo=UTC), datetime(2025, 10, 31, 10, tzinfo=UTC)),
    ("Pacific/Pago_Pago", datetime(2025, 10, 1, 11, tzinfo=UTC), datetime(2025, 11, 1, 11, tzinfo=UTC)),
])
def test_a_month_runs_from_local_midnight_to_local_midnight(zone, start, end):
    october = Period.parse("2025-10")
    assert october.bounds(zone) == (start, end)
    assert october.earliest_end() <= end <= october.latest_end()


def test_december_ends_in_the_next_year():
    december = Period.parse("2025-12")
    assert (december.last_day.isoformat(), december.next_first_day.isoformat()) == ("2025-12-31", "2026-01-01")
