"""Billing periods: a calendar month ("2026-10") in an account's own time zone.

The month of an account in Berlin starts at local midnight on the 1st, which is 22:00 or 23:00 UTC
the day before: every stored time is UTC, so the bounds are computed per account.
"""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from portal.invoicing.errors import InvalidPeriod
from portal.moments import YEARS

PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: Local midnight comes at most 14 hours before UTC midnight (UTC+14) and 12 hours after (UTC−12).
AHEAD, BEHIND = timedelta(hours=14), timedelta(hours=12)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text):
        """"2026-10" → Period(2026, 10), or InvalidPeriod."""
        match = PATTERN.match(text.strip()) if isinstance(text, str) else None
        if match is None or int(match.group(1)) not in YEARS:
            raise InvalidPeriod("A period is a month written YYYY-MM, e.g. 2026-10.", period="YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment, zone):
        """The month `moment` falls in, in the time zone `zone`."""
        local = moment.astimezone(timezone(zone))
        return cls(local.year, local.month)

    def __str__(self):
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self):
        """"October 2026": invoice lines are worded in English, like the rest of the document."""
        return format_date(self.first_day, "MMMM yyyy", locale="en")

    @property
    def first_day(self):
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self):
        """The first day after the period."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def following(self):
        """The next month."""
        return Period(self.next_first_day.year, self.next_first_day.month)

    @property
    def last_day(self):
        return self.next_first_day - timedelta(days=1)

    def bounds(self, zone):
        """[start, end) in UTC: local midnights of the first day and of the first day after."""
        tz = timezone(zone)
        return (_local_midnight(self.first_day, tz), _local_midnight(self.next_first_day, tz))

    def earliest_end(self):
        """When the period ends in the first time zone to finish it."""
        return datetime.combine(self.next_first_day, datetime.min.time(), UTC) - AHEAD

    def latest_end(self):
        """When the period ends in the last time zone to finish it (for coarse database filters)."""
        return datetime.combine(self.next_first_day, datetime.min.time(), UTC) + BEHIND


def timezone(zone):
    """The account's zone; an unknown name falls back to UTC rather than stopping the close."""
    try:
        return ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_midnight(day, tz):
    return datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)
