"""Reading requests: JSON with exact decimals, required fields, cursors. Every problem becomes a
400 that names the field."""
import base64
import json
from decimal import Decimal, InvalidOperation

from flask import request

from portal.api import bp
from portal.api.errors import ApiError
from portal.ledger.amounts import DECIMAL_TEXT

#: PostgreSQL text cannot hold U+0000: a value carrying one would fail in the database, not here.
NUL = "\x00"


@bp.before_request
def refuse_nul_in_the_address():
    """No code, uuid, number or name of this API holds a NUL: a path segment or query value with one
    is refused here, once for every endpoint, instead of failing as a 500 in PostgreSQL."""
    for name, value in [*(request.view_args or {}).items(), *request.args.items(multi=True)]:
        if isinstance(value, str) and NUL in value:
            raise ApiError(400, "invalid_input", f"{name} must not contain a NUL character.",
                           {name: "no NUL character"})


def json_body():
    """The request's JSON object, with every JSON number read as a Decimal (never a float). A
    string holding a NUL (JSON `\\u0000`) is refused, for the same reason as in the address."""
    text = request.get_data(as_text=True) or "null"
    try:
        body = json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    if "\\u0000" in text and _holds_nul(body):  # the cheap test first: a NUL can only come escaped
        raise ApiError(400, "invalid_json", "The body must not contain a NUL character (\\u0000).")
    return body


def _holds_nul(body):
    """Whether any key or string in the body holds a NUL, walked without recursion (JSON nests deep)."""
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                return True
        elif isinstance(value, dict):
            pending += value.keys()
            pending += value.values()
        elif isinstance(value, list):
            pending += value
    return False


class Fields:
    """Collects every problem with a body before answering, so a client fixes them in one go."""

    def __init__(self, body):
        self.body = body
        self.errors = {}

    def text(self, name, required=False, max_length=255, default=None):
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.errors[name] = "must be a non-empty string" if required else "must be a string"
            return default
        if len(value) > max_length:
            self.errors[name] = f"at most {max_length} characters"
            return default
        return value.strip()

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
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.errors[name] = "must be a decimal number or a string holding one"
            return default
        if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value.strip()):
            self.errors[name] = "must be a decimal number"
            return default
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            self.errors[name] = "must be a decimal number"
            return default
        if not number.is_finite():
            self.errors[name] = "must be finite"
        elif minimum is not None and number < minimum:
            self.errors[name] = f"must be at least {minimum}"
        elif maximum is not None and number > maximum:
            self.errors[name] = f"must be at most {maximum}"
        elif abs(number) >= 10 ** 12 or number != number.quantize(Decimal("0.000001")):
            self.errors[name] = "at most six decimal places and below 10^12"
        else:
            return number
        return default

    def integer(self, name, required=False, default=None, minimum=None, maximum=2 ** 31 - 1):
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be an integer"
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.errors[name] = f"must be between {minimum} and {maximum}"
            return default
        return value

    def check(self):
        if self.errors:
            raise ApiError(400, "invalid_input", "Some fields are invalid.", self.errors)


def page_args(max_limit=500):
    """`?limit=&cursor=` → (limit, last id seen or None)."""
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError:
        raise ApiError(400, "invalid_input", "limit must be an integer", {"limit": "integer"}) from None
    if not 1 <= limit <= max_limit:
        raise ApiError(400, "invalid_input", f"limit must be between 1 and {max_limit}", {"limit": "range"})
    cursor = request.args.get("cursor")
    if not cursor:
        return limit, None
    try:
        return limit, int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_input", "cursor is not one this API gave", {"cursor": "invalid"}) from None


def next_cursor(rows, limit):
    if len(rows) < limit:
        return None
    return base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode()
