"""CSV cells a spreadsheet opens as data. A caller, name or description that a switch, a customer or
an admin sent as `=HYPERLINK(…)` would run as a formula in whoever opens the export (OWASP: CSV
injection), so every CSV the product writes passes its cells through `escape_cell`, and a CSV the
product reads back (a rate deck) through `unescape_cell`."""
import re

#: A spreadsheet reads a cell starting with one of these as a formula (tab and CR: some trim them first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain number (a rate of -0.05, a caller +441234): a spreadsheet reads it as a value, never a formula.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value):
    """The cell as text, with a leading `'` (text, for a spreadsheet) if it would start a formula.
    Numbers keep their sign. A cell of quotes before such a character gets one more quote too, so
    `unescape_cell` gives back exactly what was written: `'=x` → `''=x` → `'=x`."""
    text = "" if value is None else str(value)
    if text.lstrip("'").startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def unescape_cell(text):
    """A cell as `escape_cell` took it: the quote it added before a formula character removed."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text
