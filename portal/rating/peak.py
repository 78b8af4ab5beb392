"""Peak and off-peak: which price of a rate applies at the moment a call is answered.

The decision is made in the plan's own time zone, so a London plan's 08:00 stays 08:00 local
across clock changes, and on its own holiday calendar. The band of a call is fixed by its answer
time for the whole call, so a call is never split across bands.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import holidays

from .errors import TariffError

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
#: Times and dates as people type them, in ASCII digits: `time.fromisoformat` alone would also
#: take "08:00:30", "0800" or "T08", which a minute-precise schedule cannot hold as typed.
_CLOCK = re.compile("(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_ISO_DAY = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: A `holidays` country (ISO 3166 alpha-2, the one spelling kept), optionally `-` one of its subdivisions.
_CALENDAR = re.compile("([A-Z]{2})(?:-(.+))?")


#: (in peak, why, the reason for a rate with a peak price, the reason for one without): what
#: `PeakCalendar.moment` answers. A rate without a peak price is off-peak even in peak time.
Band = tuple[bool, str, str, str]


@dataclass(frozen=True, slots=True)
class PeakSchedule:
    """When a plan's peak prices apply.

    `weekdays` counts Monday as 0. `start`–`end` is local time, end exclusive. An end before its
    start runs past midnight (`22:00`–`06:00`), an end equal to it makes 24 hours (`00:00`–`00:00`
    is every hour of the day), and such a window belongs to the day it opened: Friday's
    `22:00`–`06:00` is peak until Saturday 06:00, and a window opened on a holiday is off-peak to
    its end. `holiday_country` is a `holidays` country code, optionally with one of its
    subdivisions (`GB-ENG`). Every bad value is named at once (see `TariffError.fields`).
    """

    timezone: str
    weekdays: frozenset[int]
    start: time
    end: time
    holiday_country: str | None = None
    extra_holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        checks: tuple[tuple[str, Callable[[object], object]], ...] = (
            ("timezone", _zone_name),
            ("weekdays", _weekdays),
            ("start", _clock),
            ("end", _clock),
            ("holiday_country", _calendar),
            ("extra_holidays", _days),
        )
        for name, check in checks:
            try:
                object.__setattr__(self, name, check(getattr(self, name)))
            except TariffError as error:
                problems[name] = f"peak {name.replace('_', ' ')}: {error}"
        if problems:
            raise TariffError("; ".join(problems.values()), problems)


class PeakCalendar:
    """A schedule ready to answer: its zone loaded and its last answer remembered.

    Consecutive calls usually arrive within the same minute, and the answer cannot change inside a
    minute (schedules are minute-precise and UTC offsets are whole minutes), so the previous
    minute's answer is reused without converting time zones again, together with the reasons a
    trace gives, made once per minute rather than once per call.
    """

    __slots__ = ("_days", "_end", "_last", "_schedule", "_start", "_window", "_zone")

    def __init__(self, schedule: PeakSchedule) -> None:
        self._schedule = schedule
        self._zone = ZoneInfo(schedule.timezone)
        self._days = schedule.weekdays
        self._start = schedule.start
        self._end = schedule.end
        self._window = f"{schedule.start:%H:%M}–{schedule.end:%H:%M}"
        self._last: tuple[datetime, datetime, Band] | None = None

    def band(self, at: datetime) -> tuple[bool, str]:
        """(in peak, why) for a UTC answer time; `why` reads after "peak: " or "off-peak: "."""
        return self.moment(at)[:2]

    def moment(self, at: datetime) -> "Band":
        """The band at a UTC answer time with the reasons a trace gives for a rate priced then."""
        last = self._last
        if last is not None and last[0] <= at < last[1]:
            return last[2]
        in_peak, why = self._decide(at.astimezone(self._zone))
        if in_peak:
            answer = (True, why, "peak: " + why, "peak but rate has no peak price (" + why + ")")
        else:
            answer = (False, why, "off-peak: " + why, "off-peak: " + why)
        minute = at.replace(second=0, microsecond=0)
        self._last = (minute, minute + _MINUTE, answer)
        return answer

    def _decide(self, local: datetime) -> tuple[bool, str]:
        when = f"{_DAY_NAMES[local.weekday()]} {local.hour:02d}:{local.minute:02d} {self._schedule.timezone}"
        opened = self._opened(local)
        if opened is None:
            return False, f"outside hours ({when}, peak {self._window})"
        if opened != local.date():
            when = f"{when}, window opened {_DAY_NAMES[opened.weekday()]}"
        if opened.weekday() not in self._days:
            why = "weekend" if opened.weekday() >= 5 else "not a peak day"
            return False, f"{why} ({when})"
        if opened in self._schedule.extra_holidays:
            return False, f"holiday {opened.isoformat()} (extra date) ({when})"
        country = self._schedule.holiday_country
        if country is not None:
            name = _holiday_names(country, opened.year).get(opened)
            if name is not None:
                return False, f"holiday {name} ({when})"
        return True, f"{when} within {self._window}"

    def _opened(self, local: datetime) -> date | None:
        """The local date the window holding `local` opened on, or None outside every window."""
        clock, start, end = local.time(), self._start, self._end
        if start < end:
            return local.date() if start <= clock < end else None
        if clock >= start:
            return local.date()
        return local.date() - _DAY if clock < end else None


@cache
def _holiday_names(country: str, year: int) -> dict[date, str]:
    """Public holidays of a country (or `CC-SUBDIV`) in one year, built once per process."""
    code, _, subdivision = country.partition("-")
    return dict(holidays.country_holidays(code, subdiv=subdivision or None, years=year))


def _zone_name(value: object) -> str:
    if not isinstance(value, str) or value not in time_zones():
        raise TariffError(f"unknown time zone: {value!r}")
    return value


def _weekdays(value: object) -> frozenset[int]:
    try:
        days = frozenset(value)
    except TypeError:
        days = None
    if isinstance(value, str) or not days or not all(_is_weekday(day) for day in days):
        raise TariffError(f"weekdays are one or more of 0 (Monday) to 6 (Sunday), not {value!r}")
    return days


def _is_weekday(day: object) -> bool:
    return isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6


def _clock(value: object) -> time:
    """A minute-precise local time from a `time` or an "HH:MM" string."""
    if isinstance(value, str):
        if not _CLOCK.fullmatch(value):
            raise TariffError(f"must be HH:MM (00:00 to 23:59), not {value!r}")
        value = time.fromisoformat(value)
    if not isinstance(value, time) or value.tzinfo is not None:
        raise TariffError(f"must be a local time, not {value!r}")
    if value.second or value.microsecond:
        raise TariffError(f"is set to the minute, not {value.isoformat()}")
    return value


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zones taken: the system's tz database, which the API's document lists.
    `ZoneInfo` alone would also open files such as `localtime`, which no list names."""
    return frozenset(available_timezones())


@cache
def holiday_calendars() -> tuple[str, ...]:
    """Every calendar `_calendar` takes, as it takes it: what the API's document lists."""
    return tuple(sorted(code + suffix for code, subdivisions in holidays.list_supported_countries().items()
                        if re.fullmatch("[A-Z]{2}", code) for suffix in ("", *(f"-{s}" for s in subdivisions))))


def _calendar(value: object) -> str | None:
    """A holiday calendar the `holidays` library has, spelled the one way it lists it."""
    if value is None:
        return None
    match = _CALENDAR.fullmatch(value) if isinstance(value, str) else None
    subdivisions = holidays.list_supported_countries().get(match[1]) if match else None
    if subdivisions is None or (match[2] is not None and match[2] not in subdivisions):
        raise TariffError(f"unknown holiday calendar: {value!r} (a country such as GB, or GB-ENG)")
    return value


def _days(value: object) -> frozenset[date]:
    if isinstance(value, str):
        raise TariffError(f"extra holidays are a collection of dates, not {value!r}")
    try:
        return frozenset(_day(day) for day in value)
    except TypeError:
        raise TariffError(f"extra holidays are a collection of dates, not {value!r}") from None


def _day(value: object) -> date:
    if isinstance(value, datetime):
        raise TariffError(f"an extra holiday is a date, not a time: {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise TariffError(f"an extra holiday is a date such as 2026-12-24, not {value!r}")
