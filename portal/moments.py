"""The moments VoIP2Bill bills: ISO 8601 times read into aware UTC, all held to one window.

Every time that comes in (a CDR's start, an authorization's `at`, a query's `from` and `to`, a
rate's `effective_from`) must fall in the same window, and invoicing periods name its years. It
holds every real call and deck, and keeps far from the ends of Python's datetime (years 1 and
9999), where reading an offset, converting to a time zone or adding a call's length overflows: a
CDR dated year 1 once cost its whole batch a server error. Pure Python: no Flask, no SQLAlchemy.
"""
from datetime import UTC, datetime

#: The first moment taken.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: The first moment refused after the window.
END = datetime(2200, 1, 1, tzinfo=UTC)
#: The years of the window, as invoicing periods name them.
YEARS = range(EARLIEST.year, END.year)
WINDOW = "between 2000-01-01T00:00:00Z and 2199-12-31T23:59:59Z"


class OutsideWindow(ValueError):
    """A well-formed time outside the window: its message says what the window is."""

    def __init__(self):
        super().__init__(f"must be {WINDOW}")


def parse_moment(text):
    """An ISO 8601 date or time (`2026-10-05T14:03:00Z`, `2026-10-05`) as aware UTC; without an
    offset it is UTC. ValueError when it is not one, OutsideWindow when it is one out of bounds."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return within_window(moment.replace(tzinfo=UTC))
    try:
        return within_window(moment.astimezone(UTC))
    except OverflowError:  # an offset that carries year 1 or 9999 past datetime's range
        raise OutsideWindow from None


def within_window(moment):
    """`moment` (aware) if the window holds it, else OutsideWindow."""
    if EARLIEST <= moment < END:
        return moment
    raise OutsideWindow
