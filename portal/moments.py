"""The moments VoIP2Bill bills: ISO 8601 times read into aware UTC, all held to one window.

Every time that comes in (a CDR's start, an authorization's `at`, a query's `from` and `to`, a
rate's `effective_from`) must be written in the years 2000 to 2199, and invoicing periods name the
same years. That holds every real call and deck, and keeps far from the ends of Python's datetime
(years 1 and 9999), where reading an offset, converting to a time zone or adding a call's length
overflows: a CDR dated year 1 once cost its whole batch a server error. The year is the one written
(`2000-01-01T00:30+01:00` is taken): one rule that a pattern in the API's document can state.
Pure Python: no Flask, no SQLAlchemy.
"""
import re
from datetime import UTC, datetime

#: The years a time may be written in.
YEARS = range(2000, 2200)
WINDOW = "written in the years 2000 to 2199"

_DAY_31 = "(0[1-9]|[12][0-9]|3[01])"
#: A calendar date of the window, months' lengths and leap years (2000, not 2100) included.
DATE_PATTERN = (
    f"(2[01][0-9]{{2}}-(0[13578]|1[02])-{_DAY_31}"
    "|2[01][0-9]{2}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|2[01][0-9]{2}-02-(0[1-9]|1[0-9]|2[0-8])"
    "|(20([02468][048]|[13579][26])|21([02468][48]|[2468]0|[13579][26]))-02-29)"
)
_CLOCK = "[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
_OFFSET = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
#: The ISO 8601 forms taken, each of which Python reads: a date (midnight), or a date and a time to
#: the minute, second or microsecond, with `Z`, an offset or nothing (UTC). The API's document
#: gives this very pattern, so what it calls a valid time is what is taken.
TIME_PATTERN = f"^{DATE_PATTERN}({_CLOCK}{_OFFSET}?)?$"
_TIME = re.compile(TIME_PATTERN)


class OutsideWindow(ValueError):
    """A well-formed time outside the window: its message says what the window is."""

    def __init__(self):
        super().__init__(f"must be {WINDOW}")


def parse_moment(text):
    """A time of `TIME_PATTERN` as aware UTC; without an offset it is UTC. OutsideWindow for a
    time Python reads but written in another year, ValueError for anything else."""
    if not _TIME.fullmatch(text):
        moment = datetime.fromisoformat(text)  # only to tell a time out of the window from no time
        if moment.year not in YEARS:
            raise OutsideWindow
        raise ValueError(f"not a time in a form taken: {text!r}")
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
