"""What every reader of outside input shares (the API, rate decks): the blanks trimmed around text,
the characters no name holds or no column stores, and whole numbers as JSON sends them. The API's
document states the same in its patterns and types."""
import re
from decimal import Decimal

#: The blanks trimmed around texts: ASCII ones, which a pattern can name exactly.
BLANKS = " \t\n\r\f\v"
#: Control characters (Unicode Cc), the line and paragraph separators, and lone surrogates (JSON's
#: `\\ud800`, which is no character and has no UTF-8): never inside a name.
CONTROL = re.compile("[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ud800-\\udfff]")


def whole_number(value):
    """An int from a JSON integer, or from a JSON number with no fraction (`5.0`, which JSON Schema
    counts as an integer too, so the API's document calls it valid); None for anything else."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 20 and value == int(value):
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def text_problem(text):
    """Why no text column can store `text`, or None: a NUL (JSON `\\u0000`; PostgreSQL refuses it)
    or a lone surrogate (`\\ud800`, which is no character and has no UTF-8)."""
    if "\x00" in text:
        return "must not contain a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain a lone surrogate such as \\ud800 (it is no character)"
    return None
