"""Reading requests: JSON with exact decimals, required fields, times, cursors. Every problem
becomes a 400 that names the field."""
import json
import re
from decimal import Decimal

from flask import request

from portal.api import bp
from portal.api.errors import ApiError
from portal.inputs import BLANKS, text_problem, whole_number
from portal.ledger.amounts import parse_amount
from portal.ledger.errors import InvalidAmount
from portal.moments import OutsideWindow, parse_moment
from portal.urls import row_id

#: PostgreSQL text cannot hold U+0000: a value carrying one would fail in the database, not here.
NUL = "\x00"
_WHOLE = "0*[0-9]{1,12}"
_PLACES = "(\\.[0-9]{1,6})?"
#: Up to six places, not all zero.
_NONZERO_PLACES = "(" + "|".join(f"{'0' * zeros}[1-9][0-9]{{0,{5 - zeros}}}" for zeros in range(6)) + ")"
#: Money as a string: digits, a point and up to six places, below 10^12 (a Money column holds it);
#: no exponent, no space. The API's document gives these patterns as they are.
MONEY_PATTERN = f"^[+-]?{_WHOLE}{_PLACES}$"
UNSIGNED_MONEY_PATTERN = f"^\\+?{_WHOLE}{_PLACES}$"
_NONZERO = f"0*([1-9][0-9]{{0,11}}{_PLACES}|0\\.{_NONZERO_PLACES})"
POSITIVE_MONEY_PATTERN = f"^\\+?{_NONZERO}$"
NONZERO_MONEY_PATTERN = f"^[+-]?{_NONZERO}$"
_MONEY = re.compile(MONEY_PATTERN)
_UNSIGNED_MONEY = re.compile(UNSIGNED_MONEY_PATTERN)


@bp.before_request
def refuse_nul_in_the_address():
    """No code, uuid or number of this API holds a NUL: a path segment with one is refused here,
    once for every endpoint, instead of failing as a 500 in PostgreSQL. Query parameters are held
    to the document (`openapi.check_query`), whose patterns exclude it too."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and NUL in value:
            raise ApiError(400, "invalid_input", f"{name} must not contain a NUL character.",
                           {name: "no NUL character"})


def json_body():
    """The request's JSON object, with every JSON number read as a Decimal (never a float). What
    it holds is checked where it is read (`Fields`, the CDR parser, the deck's lines): a field the
    endpoint does not know is ignored, whatever it holds, as the document allows."""
    text = request.get_data(as_text=True) or "null"
    try:
        body = json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return body


def parse_time(value, field):
    """ISO 8601 as `moments.TIME_PATTERN` writes it, which the document gives; a time without an
    offset is UTC (DESIGN §5)."""
    try:
        return parse_moment(value)
    except OutsideWindow as error:
        raise ApiError(400, "invalid_input", f"{field} {error}.", {field: str(error)}) from None
    except (TypeError, ValueError):
        raise ApiError(400, "invalid_input", f"{field} must be an ISO 8601 time.", {field: "ISO 8601"}) from None


def money_value(value, unsigned=False):
    """A Decimal from a JSON number or a string in MONEY_PATTERN (UNSIGNED_MONEY_PATTERN when a
    sign is not wanted), through the ledger's parser; InvalidAmount otherwise."""
    if isinstance(value, str) and not (_UNSIGNED_MONEY if unsigned else _MONEY).fullmatch(value):
        raise InvalidAmount("The amount must be a decimal number such as 12.50.",
                            amount="must be a decimal number such as 12.50 (no sign)" if unsigned else
                            "must be a decimal number such as 12.50")
    return parse_amount(value)


class Fields:
    """Collects every problem with a body before answering, so a client fixes them in one go."""

    def __init__(self, body):
        self.body = body
        self.errors = {}

    def text(self, name, required=False, max_length=255, default=None, strip=True):
        """The string, trimmed of BLANKS unless `strip` is off (a password keeps every character)."""
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        if not isinstance(value, str) or (required and not value.strip(BLANKS)):
            self.errors[name] = "must be a non-empty string" if required else "must be a string"
            return default
        if len(value) > max_length:
            self.errors[name] = f"at most {max_length} characters"
            return default
        problem = text_problem(value)
        if problem:
            self.errors[name] = problem
            return default
        return value.strip(BLANKS) if strip else value

    def choice(self, name, choices, required=False, default=None):
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        if value not in choices:
            self.errors[name] = "one of: " + ", ".join(choices)
            return default
        return value

    def decimal(self, name, required=False, default=None, minimum=None, maximum=None):
        """A Decimal that a Money column holds exactly (the ledger's parser), within the bounds."""
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        try:
            number = money_value(value, unsigned=minimum is not None and minimum >= 0)
        except InvalidAmount as error:
            self.errors[name] = error.fields["amount"]
            return default
        if minimum is not None and number < minimum:
            self.errors[name] = f"must be at least {minimum}"
        elif maximum is not None and number > maximum:
            self.errors[name] = f"must be at most {maximum}"
        else:
            return number
        return default

    def integer(self, name, required=False, default=None, minimum=None, maximum=2 ** 31 - 1):
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        value = whole_number(value)
        if value is None:
            self.errors[name] = "must be an integer"
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.errors[name] = f"must be between {minimum} and {maximum}"
            return default
        return value

    def moment(self, name, required=False):
        """An ISO 8601 time as aware UTC (see `parse_time`), or None when absent."""
        text = self.text(name, required=required, max_length=40, strip=False)
        if text is not None:
            try:
                return parse_time(text, name)
            except ApiError as error:
                self.errors.update(error.fields)
        return None

    def check(self):
        if self.errors:
            raise ApiError(400, "invalid_input", "Some fields are invalid.", self.errors)


def page_args(max_limit=500):
    """`?limit=&cursor=` → (limit, last id seen or None). A cursor is the id of the last row of the
    page before, in ASCII digits, as `next_cursor` gives it; one past every id bounds nothing."""
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError:
        raise ApiError(400, "invalid_input", "limit must be an integer", {"limit": "integer"}) from None
    if not 1 <= limit <= max_limit:
        raise ApiError(400, "invalid_input", f"limit must be between 1 and {max_limit}", {"limit": "range"})
    cursor = request.args.get("cursor")
    if cursor is None:
        return limit, None
    if not (cursor.isascii() and cursor.isdigit()):
        raise ApiError(400, "invalid_input", "cursor is not one this API gave", {"cursor": "invalid"})
    return limit, row_id(cursor)


def next_cursor(rows, limit):
    return None if len(rows) < limit else str(rows[-1].id)
