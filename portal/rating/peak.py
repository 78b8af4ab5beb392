"""Peak and off-peak: which price of a rate applies at the moment a call is answered.

The decision is made in the plan's own time zone, so a London plan's 08:00 stays 08:00 local
across clock changes, and on its own holiday calendar. The band of a call is fixed by its answer
time for the whole call, so a call is never split across bands.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from .errors import TariffError

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class PeakSchedule:
    """When a plan's peak prices apply.

    `weekdays` counts Monday as 0. `start`–`end` is local time, end exclusive; an end that is not
    after its start runs past midnight (`22:00`–`06:00`), and `00:00`–`00:00` is the whole day;
    the weekday and holiday that count are those of the local date the call is answered on.
    `holiday_country` is a `holidays` country code, optionally with a subdivision (`GB-ENG`).
    """

    timezone: str
    weekdays: frozenset[int]
    start: time
    end: time
    holiday_country: str | None = None
    extra_holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise TariffError(f"unknown time zone: {self.timezone!r}") from None
        weekdays = frozenset(self.weekdays)
        if not all(isinstance(day, int) and 0 <= day <= 6 for day in weekdays):
            raise TariffError(f"weekdays are 0 (Monday) to 6 (Sunday): {sorted(weekdays)!r}")
        object.__setattr__(self, "weekdays", weekdays)
        object.__setattr__(self, "start", _clock(self.start, "start"))
        object.__setattr__(self, "end", _clock(self.end, "end"))
        if self.holiday_country is not None:
            _holiday_names(self.holiday_country, 2000)  # refuses an unknown code; any year would do
        object.__setattr__(self, "extra_holidays", frozenset(_day(d) for d in self.extra_holidays))


class PeakCalendar:
    """A schedule ready to answer: its zone loaded and its last answer remembered.

    Consecutive calls usually arrive within the same minute, and the answer cannot change inside a
    minute (schedules are minute-precise and UTC offsets are whole minutes), so the previous
    minute's answer is reused without converting time zones again.
    """

    __slots__ = ("_days", "_end", "_last", "_schedule", "_start", "_window", "_zone")

    def __init__(self, schedule: PeakSchedule) -> None:
        self._schedule = schedule
        self._zone = ZoneInfo(schedule.timezone)
        self._days = schedule.weekdays
        self._start = schedule.start
        self._end = schedule.end
        self._window = f"{schedule.start:%H:%M}–{schedule.end:%H:%M}"
        self._last: tuple[datetime, datetime, tuple[bool, str]] | None = None

    def band(self, at: datetime) -> tuple[bool, str]:
        """(in peak, why) for a UTC answer time; `why` reads after "peak: " or "off-peak: "."""
        last = self._last
        if last is not None and last[0] <= at < last[1]:
            return last[2]
        answer = self._decide(at.astimezone(self._zone))
        minute = at.replace(second=0, microsecond=0)
        self._last = (minute, minute + _MINUTE, answer)
        return answer

    def _decide(self, local: datetime) -> tuple[bool, str]:
        when = f"{_DAY_NAMES[local.weekday()]} {local.hour:02d}:{local.minute:02d} {self._schedule.timezone}"
        if local.weekday() not in self._days:
            why = "weekend" if local.weekday() >= 5 else "not a peak day"
            return False, f"{why} ({when})"
        clock = local.time()
        start, end = self._start, self._end
        inside = start <= clock < end if start < end else (clock >= start or clock < end)
        if not inside:
            return False, f"outside hours ({when}, peak {self._window})"
        day = local.date()
        if day in self._schedule.extra_holidays:
            return False, f"holiday {day.isoformat()} (extra date) ({when})"
        country = self._schedule.holiday_country
        if country is not None:
            name = _holiday_names(country, day.year).get(day)
            if name is not None:
                return False, f"holiday {name} ({when})"
        return True, f"{when} within {self._window}"


@cache
def _holiday_names(country: str, year: int) -> dict[date, str]:
    """Public holidays of a country (or `CC-SUBDIV`) in one year, built once per process."""
    code, _, subdivision = country.partition("-")
    try:
        calendar = holidays.country_holidays(code, subdiv=subdivision or None, years=year)
    except NotImplementedError:
        raise TariffError(f"unknown holiday calendar: {country!r}") from None
    return dict(calendar)


def _clock(value: time | str, what: str) -> time:
    """A minute-precise local time from a `time` or an "HH:MM" string."""
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            raise TariffError(f"peak {what} must be HH:MM, not {value!r}") from None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise TariffError(f"peak {what} must be a local time, not {value!r}")
    if value.second or value.microsecond:
        raise TariffError(f"peak {what} is set to the minute: {value.isoformat()}")
    return value


def _day(value: date | str) -> date:
    if isinstance(value, datetime):
        raise TariffError(f"an extra holiday is a date, not a time: {value!r}")
    return value if isinstance(value, date) else date.fromisoformat(value)
