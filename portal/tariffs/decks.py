"""Rate decks in and out: JSON rows or CSV with the same column names, merged into a plan or
replacing it, all or nothing. A bad deck is refused whole, with every bad line named."""
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select, update

from portal.csv_cells import escape_cell, unescape_cell
from portal.extensions import db
from portal.inputs import BLANKS, CONTROL, whole_number
from portal.ledger.amounts import parse_amount
from portal.ledger.errors import InvalidAmount
from portal.models.tariffs import bump_tariff_version
from portal.moments import OutsideWindow, parse_moment

COLUMNS = ("prefix", "number", "destination", "rate", "rate_peak", "connect_fee", "t1", "t2", "effective_from",
           "effective_to")
MODES = ("merge", "replace")
#: A price per minute or a connect fee is below this.
MAX_PRICE = Decimal(10) ** 8


class DeckRejected(ValueError):
    """The deck has bad lines; `errors` maps each line (CSV line number or JSON index) to its problems."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} bad line(s)")
        self.errors = errors


@dataclass(frozen=True)
class DeckResult:
    created: int
    updated: int
    deleted: int


def _text(value):
    return "" if value is None else str(value).strip(BLANKS)


def _digits(value, name, problems, shortest):
    text = _text(value)
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and shortest <= len(text) <= 15):
        problems.append(f"{name}: {shortest} to 15 digits, got {text!r}")
        return None
    return text


def _money(value, name, problems, required=False):
    """A price as the ledger parses amounts (six places at most, never a float), zero or more and
    unsigned (a deck has no use for "-0"), below MAX_PRICE; a line of "1e400" or of thousands of
    digits is named like any other bad line."""
    text = _text(value)
    if not text:
        if required:
            problems.append(f"{name}: required")
        return None
    try:
        number = parse_amount(text if isinstance(value, str) else value, limit=MAX_PRICE)
    except InvalidAmount as error:
        problems.append(f"{name}: {error.fields['amount']}, got {_shown(text)}")
        return None
    if number.is_signed():
        problems.append(f"{name}: must be zero or more, got {_shown(text)}")
        return None
    return number


def _shown(text):
    """A value in a message, cut short: a line may hold thousands of digits."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _seconds(value, name, problems, minimum):
    if isinstance(value, Decimal) and whole_number(value) is not None:
        value = whole_number(value)  # JSON's 30.0
    text = _text(value)
    if not text:
        return 1
    if not text.isdigit() or int(text) < minimum or int(text) > 86400:
        problems.append(f"{name}: whole seconds from {minimum} to 86400, got {text!r}")
        return 1
    return int(text)


def _time(value, name, problems):
    text = _text(value)
    if not text:
        return None
    try:
        return parse_moment(text)
    except OutsideWindow as error:
        problems.append(f"{name}: {error}, got {_shown(text)}")
    except ValueError:
        problems.append(f"{name}: ISO 8601 date or time expected, got {_shown(text)}")
    return None


def clean_row(row, typed=False):
    """(values, problems) for one deck row given as a mapping of column → raw value. Every column
    gets a value, its default where the row leaves it out; `import_deck` decides which it stores.
    `typed` (a JSON deck) also holds each value to its JSON type and a price string to PRICE, as
    the API's document says (`RateIn`); a CSV cell is text, and a price there may be `1E-04`."""
    problems = []
    if not isinstance(row, dict):
        return None, ["each rate must be an object"]
    if typed:
        problems += _type_problems(row)
    unknown = sorted(str(name) for name in row if name not in COLUMNS)
    if unknown:
        problems.append(f"unknown field(s) {_some(unknown)}; the fields are {', '.join(COLUMNS)}")
    prefix = _digits(row.get("prefix"), "prefix", problems, 1)
    number = _digits(row.get("number"), "number", problems, 3)
    if (prefix is None) == (number is None) and not problems:
        problems.append("give exactly one of prefix and number")
    destination = _text(row.get("destination"))
    if len(str(row.get("destination") or "")) > 120:
        problems.append("destination: at most 120 characters")
    elif CONTROL.search(destination):
        problems.append(f"destination: no control characters, got {_shown(destination)}")
    values = {
        "prefix": prefix, "number": number, "destination": destination,
        "rate": _money(row.get("rate"), "rate", problems, required=True),
        "rate_peak": _money(row.get("rate_peak"), "rate_peak", problems),
        "connect_fee": _money(row.get("connect_fee"), "connect_fee", problems) or Decimal(0),
        "t1": _seconds(row.get("t1"), "t1", problems, 0),
        "t2": _seconds(row.get("t2"), "t2", problems, 1),
        "effective_from": _time(row.get("effective_from"), "effective_from", problems),
        "effective_to": _time(row.get("effective_to"), "effective_to", problems),
    }
    if values["effective_from"] and values["effective_to"] and values["effective_to"] <= values["effective_from"]:
        problems.append("effective_to must be after effective_from")
    return values, problems


def rows_from_csv(text):
    """(line number, row) pairs; the header names the columns, as the export writes them, and a
    cell the export quoted for spreadsheets (`'=…`) is read as it was stored. A deck the csv module
    cannot read, or whose rows do not fit its header, is refused with each such line named
    (DESIGN §7), never half-read."""
    reader = csv.reader(io.StringIO(text))
    header = _csv_header(reader)
    rows, errors = [], {}
    while True:
        try:
            for cells in reader:
                if not cells:
                    continue  # a blank line
                line = str(reader.line_num)
                if len(cells) != len(header):
                    errors[line] = [f"{len(cells)} cell(s), the header names {len(header)} column(s)"]
                else:
                    rows.append((line, dict(zip(header, map(unescape_cell, cells), strict=True))))
            break
        except csv.Error as error:  # the reader carries on with the next line
            errors[str(reader.line_num)] = [f"unreadable CSV: {error}"]
    if errors:
        raise DeckRejected(errors)
    return rows


#: A price as a JSON deck writes it in a string: unsigned, six places at most, below MAX_PRICE (the
#: API's document gives this pattern).
PRICE = re.compile("^\\+?0*[0-9]{1,8}(\\.[0-9]{1,6})?$")
_TEXT_COLUMNS = ("prefix", "number", "destination", "effective_from", "effective_to")


def _type_problems(row):
    """What a JSON line holds that its type or form does not allow (a CSV cell is always text, and
    an empty one is absent; in JSON that is null, but for prefix and number, whose "" is absent)."""
    problems = [f"{name}: must be text" for name in _TEXT_COLUMNS if not isinstance(row.get(name, ""), str | None)]
    problems += [f"{name}: must be a time, or null" for name in ("effective_from", "effective_to")
                 if row.get(name) == ""]
    for name in ("rate", "rate_peak", "connect_fee"):
        value = row.get(name)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal | None):
            problems.append(f"{name}: must be a decimal number or a string holding one")
        elif isinstance(value, str) and not PRICE.fullmatch(value):
            problems.append(f"{name}: must be written like 0.0123 (no sign, six places at most), got {_shown(value)}")
    for name in ("t1", "t2"):
        value = row.get(name)
        if value is not None and whole_number(value) is None:
            problems.append(f"{name}: must be a whole number of seconds")
    return problems


def _some(names, shown=10):
    """A few names for a message, however many a malformed header holds."""
    listed = ", ".join(repr(name[:40]) for name in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _csv_header(reader):
    """The column names of the first line (trimmed, lower case, a spreadsheet's BOM dropped)."""
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        raise DeckRejected({"1": [f"unreadable CSV header: {error}"]}) from None
    if header:
        header[0] = header[0].lstrip("\ufeff")
    problems = []
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {_some(unknown)}; the columns are {', '.join(COLUMNS)}")
    twice = sorted(name for name, count in Counter(header).items() if count > 1)
    if twice:
        problems.append(f"column(s) named twice: {_some(twice)}")
    if "rate" not in header:
        problems.append("the header must name the columns, rate among them: " + ",".join(COLUMNS))
    if problems:
        raise DeckRejected({"1": problems})
    return header


def _key(values):
    return values["prefix"], values["number"], values["effective_from"]


def validate(numbered_rows, typed=False):
    """Every row cleaned, or DeckRejected naming every bad line (duplicates included)."""
    errors, cleaned, seen = {}, [], {}
    for line, row in numbered_rows:
        values, problems = clean_row(row, typed)
        if not problems:
            key = _key(values)
            if key in seen:
                problems.append(f"duplicate of line {seen[key]} (same prefix/number and effective_from)")
            seen[key] = line
        if problems:
            errors[line] = problems
        else:
            cleaned.append(values)
    if errors:
        raise DeckRejected(errors)
    return cleaned


def import_deck(model, plan_id, numbered_rows, mode, typed=False):
    """Load rows into a plan: `merge` updates matching rows and adds new ones, `replace` makes the
    deck exactly these rows. A merged row changes only the columns it names (its CSV header or
    its JSON keys), so `prefix,rate` reprices without resetting T1/T2 or the peak price; a new
    row gets the defaults for the rest. `typed`: the rows are JSON (see `clean_row`). One
    transaction; the caller commits."""
    numbered_rows = list(numbered_rows)
    rows = validate(numbered_rows, typed)
    deleted = 0
    existing = {}
    if mode == "replace":
        deleted = db.session.execute(delete(model).where(model.plan_id == plan_id)).rowcount
    else:
        for rate_id, prefix, number, start in db.session.execute(
                select(model.id, model.prefix, model.number, model.effective_from).where(model.plan_id == plan_id)):
            existing[prefix, number, start] = rate_id
    fresh, changed = [], []
    for values, (_, row) in zip(rows, numbered_rows, strict=True):
        rate_id = existing.get(_key(values))
        if rate_id is None:
            fresh.append({"plan_id": plan_id, **values})
        else:
            changed.append({"id": rate_id, **{name: values[name] for name in COLUMNS if name in row}})
    if fresh:
        db.session.execute(insert(model), fresh)
    if changed:
        db.session.execute(update(model), changed)
    bump_tariff_version(db.session)
    db.session.flush()
    return DeckResult(created=len(fresh), updated=len(changed), deleted=deleted)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def export_rows(model, plan_id):
    query = select(*(getattr(model, name) for name in COLUMNS)).where(model.plan_id == plan_id) \
        .order_by(model.prefix, model.number, model.effective_from)
    return [dict(zip(COLUMNS, row)) for row in db.session.execute(query)]


def export_csv(model, plan_id):
    """The deck as CSV that `import_deck` takes back unchanged; a destination a spreadsheet would
    run as a formula is written quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in export_rows(model, plan_id):
        writer.writerow([escape_cell(_cell(row[name])) for name in COLUMNS])
    return out.getvalue()
