"""Reading requests: JSON with exact decimals, required fields, times, cursors. Every problem
becomes a 400 that names the field."""
import base64
import json
from decimal import Decimal

from flask import request

from portal.api import bp
from portal.api.errors import ApiError
from portal.ledger.amounts import parse_amount
from portal.ledger.errors import InvalidAmount
from portal.moments import OutsideWindow, parse_moment
from portal.urls import row_id

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


def json_body(check_text=True):
    """The request's JSON object, with every JSON number read as a Decimal (never a float).

    A key or string that no text column can store is refused, naming where it is: a NUL (JSON
    `\\u0000`) or a lone surrogate (`\\ud800`, which is no character and has no UTF-8). An endpoint
    whose records are each checked field by field (CDR batches, rate decks) passes
    `check_text=False`, so that such a value costs only its own record."""
    text = request.get_data(as_text=True) or "null"
    try:
        body = json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    # The cheap test first: either can only arrive escaped, as \u0000 or \ud800-\udfff.
    if check_text and ("\\u0000" in text or "\\ud" in text or "\\uD" in text):
        unstorable = _unstorable_text(body)
        if unstorable:
            raise ApiError(400, "invalid_input", "Some text cannot be stored.", unstorable)
    return body


def _unstorable_text(body):
    """{where: why} for every key and string of the body that holds a NUL or a lone surrogate,
    walked without recursion (JSON nests deep)."""
    found = {}
    pending = [("", body)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                found[path] = problem
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(key)
                inner = _shown(key) if problem else key
                inner = f"{path}.{inner}" if path else inner
                if problem:
                    found[inner] = f"the name {problem}"
                pending.append((inner, item))
        elif isinstance(value, list):
            pending += ((f"{path}[{index}]", item) for index, item in enumerate(value))
    return found


def _text_problem(text):
    if NUL in text:
        return "must not contain a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain a lone surrogate such as \\ud800 (it is no character)"
    return None


def _shown(text):
    """A key that is itself the problem, in escapes that any answer can carry."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace(NUL, "\\x00")


def parse_time(value, field):
    """ISO 8601; a time without an offset is UTC (DESIGN §5); inside the window of `portal.moments`."""
    try:
        return parse_moment(value.strip())
    except OutsideWindow as error:
        raise ApiError(400, "invalid_input", f"{field} {error}.", {field: str(error)}) from None
    except (AttributeError, ValueError):
        raise ApiError(400, "invalid_input", f"{field} must be an ISO 8601 time.", {field: "ISO 8601"}) from None


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
        """A Decimal that a Money column holds exactly (the ledger's parser), within the bounds."""
        value = self.body.get(name, default)
        if value is None:
            if required:
                self.errors[name] = "required"
            return default
        try:
            number = parse_amount(value)
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
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be an integer"
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.errors[name] = f"must be between {minimum} and {maximum}"
            return default
        return value

    def moment(self, name, required=False):
        """An ISO 8601 time as aware UTC (see `parse_time`), or None when absent."""
        text = self.text(name, required=required, max_length=40)
        if text:
            try:
                return parse_time(text, name)
            except ApiError as error:
                self.errors.update(error.fields)
        return None

    def check(self):
        if self.errors:
            raise ApiError(400, "invalid_input", "Some fields are invalid.", self.errors)


def page_args(max_limit=500):
    """`?limit=&cursor=` → (limit, last id seen or None). A cursor is the base64 of a row id that
    this API gave; anything else, however it parses, is refused rather than sent to the database."""
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
        last = row_id(base64.urlsafe_b64decode(cursor.encode()).decode("ascii"))
    except (ValueError, UnicodeError):
        last = None
    if last is None:
        raise ApiError(400, "invalid_input", "cursor is not one this API gave", {"cursor": "invalid"})
    return limit, last


def next_cursor(rows, limit):
    if len(rows) < limit:
        return None
    return base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode()
