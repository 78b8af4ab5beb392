"""Money for people: the locale's own currency layout (which side the symbol goes, the separators),
whether with the currency's places or with four for per-call prices and per-minute rates."""
from decimal import Decimal

import pytest

from portal.formatting import money


@pytest.mark.parametrize("locale, two_places, four_places", [
    ("de_DE", "9,90 €", "0,0610 €"),
    ("fr_FR", "9,90 €", "0,0610 €"),
    ("en_GB", "€9.90", "€0.0610"),
    ("en_US", "€9.90", "€0.0610"),
])
def test_four_places_keep_the_locales_currency_layout(locale, two_places, four_places):
    assert money(Decimal("9.9"), "EUR", locale).replace("\xa0", " ") == two_places
    assert money(Decimal("0.061"), "EUR", locale, digits=4).replace("\xa0", " ") == four_places


@pytest.mark.parametrize("locale, expected", [
    ("de_DE", "-1.234,5678 €"),
    ("fr_FR", "-1 234,5678 €"),
    ("en_GB", "-£1,234.5678"),
])
def test_four_places_group_thousands_and_sign_like_the_locale(locale, expected):
    currency = "GBP" if locale == "en_GB" else "EUR"
    shown = money(Decimal("-1234.5678"), currency, locale, digits=4)
    assert shown.replace("\xa0", " ").replace("\u202f", " ") == expected


def test_the_number_of_places_is_what_is_asked_whatever_the_currency():
    assert money(Decimal("0.5"), "JPY", "en_US", digits=4) == "¥0.5000"
    assert money(Decimal("0.0610"), "EUR", "de_DE", digits=0).replace("\xa0", " ") == "0 €"
