"""Reference data from maintained libraries (phonenumbers, babel) and the Q.850 table shipped with
the app. Loading is an upsert, so running it again changes nothing."""
import csv
from pathlib import Path

import phonenumbers
from babel import Locale
from babel.numbers import get_currency_name, get_currency_precision, list_currencies
from sqlalchemy import select

from portal.extensions import db
from portal.models import Country, Currency, HangupCause, Prefix

Q850_FILE = Path(__file__).parent / "data" / "q850.csv"

#: Calling codes that belong to no country (phonenumbers' "001" region), named by their use.
NON_GEOGRAPHIC = {
    "800": "International Freephone", "808": "International Shared Cost", "870": "Inmarsat SNAC",
    "878": "Universal Personal Telecommunications", "881": "Global Mobile Satellite System",
    "882": "International Networks", "883": "International Networks", "888": "OCHA",
    "979": "International Premium Rate",
}


def country_rows():
    """(iso2, English name, calling code) for every region phonenumbers knows."""
    names = Locale("en").territories
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        code = phonenumbers.country_code_for_region(region)
        yield region, names.get(region, region), str(code)


def prefix_rows():
    """One prefix per calling code, named after its main country (1 → United States)."""
    names = Locale("en").territories
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        region = phonenumbers.region_code_for_country_code(code)
        key = str(code)
        if region in (None, "ZZ", "001"):
            if key in NON_GEOGRAPHIC:
                yield key, None, NON_GEOGRAPHIC[key]
            continue
        yield key, region, names.get(region, region)


def currency_rows():
    for code in sorted(list_currencies()):
        yield code, get_currency_name(code, locale="en"), get_currency_precision(code)


def q850_rows():
    with Q850_FILE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            yield int(row["code"]), row["enumeration"], row["cause"], row["description"]


def _upsert(model, key_attr, rows, fields):
    """Insert missing rows and correct changed ones; returns how many rows were written."""
    existing = {getattr(obj, key_attr): obj for obj in db.session.scalars(select(model))}
    written = 0
    for row in rows:
        values = dict(zip(fields, row))
        obj = existing.get(values[key_attr])
        if obj is None:
            db.session.add(model(**values))
            written += 1
        elif any(getattr(obj, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(obj, name, value)
            written += 1
    db.session.flush()
    return written


def load_reference_data():
    """Countries, prefixes, currencies and hangup causes; returns counts of rows written."""
    return {
        "currencies": _upsert(Currency, "code", currency_rows(), ("code", "name", "digits")),
        "countries": _upsert(Country, "iso2", country_rows(), ("iso2", "name", "calling_code")),
        "prefixes": _upsert(Prefix, "prefix", prefix_rows(), ("prefix", "country_iso2", "name")),
        "hangup_causes": _upsert(HangupCause, "code", q850_rows(),
                                 ("code", "enumeration", "cause", "description")),
    }
