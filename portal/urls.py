"""What comes in through addresses and forms: redirect targets, ids, page numbers, and text that
the database can hold."""
import re
from itertools import chain
from urllib.parse import urlsplit

from flask import abort, request
from werkzeug.routing import BaseConverter, IntegerConverter

#: Ids are 32-bit INTEGER columns on both databases. A larger number sent to the database overflows
#: SQLite's binding and is refused by PostgreSQL: a server error for what is only a wrong address.
LARGEST_ID = 2**31 - 1


def safe_next(target):
    """`target` if it is a path on this site, else None: never redirect to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def row_id(text, largest=LARGEST_ID):
    """The id `text` names (ASCII digits, 0 to `largest`), or None: no id column holds anything else."""
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= len(str(largest)):
        number = int(text)
        if number <= largest:
            return number
    return None


def _up_to(largest):
    """A regular expression for the numbers 0 to `largest` (leading zeros allowed)."""
    digits = str(largest)
    shapes = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 and len(digits) > 1 else 0
        if int(digit) > lowest:
            rest = len(digits) - position - 1
            shapes.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    shapes.append(digits)
    return "0*(?:" + "|".join(shapes) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: only 0 to LARGEST_ID match, by the pattern itself, so a larger
    number matches no route (404). A `max` alone would be checked after the match, and werkzeug
    then answers 405 where another method of the same path exists."""

    regex = _up_to(LARGEST_ID)

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class OtherThan(BaseConverter):
    """`<other_than(rerate):uuid>`: a path segment other than the words given, which a fixed route
    of another method holds. `GET /cdrs/rerate` is then no CDR but a 405 (only POST is there), with
    an `Allow` that names the methods the document gives that path."""

    def __init__(self, map, *words):
        super().__init__(map)
        self.regex = "(?!(?:" + "|".join(re.escape(word) for word in words) + ")$)[^/]+"


def page_number(name="page", first=1):
    """A page number from the query string, `first` (0 or 1) if absent or not a number. A page past
    the last is empty, however far: capped at LARGEST_ID, its offset stays within the 64-bit
    integer both databases take (a larger one overflows)."""
    return min(max(request.args.get(name, first, type=int), first), LARGEST_ID)


def refuse_nul():
    """A NUL in an address or a form field is a 400 before any view runs: no name, code or text
    of this app holds one, PostgreSQL text cannot, and a query or row carrying it failed there as
    a server error (admin filters and searches, sign-in). The API refuses it in its own shape."""
    if request.blueprint == "api":
        return
    values = chain((request.view_args or {}).values(), *request.args.listvalues(), *request.form.listvalues())
    if any(isinstance(value, str) and "\x00" in value for value in values):
        abort(400, "Text must not contain a NUL character.")
