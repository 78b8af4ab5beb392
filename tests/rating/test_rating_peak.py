"""Peak and off-peak in the plan's own zone and holiday calendar (DESIGN §3.5)."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from portal.rating import (
    PeakSchedule,
    Rate,
    RatingEngine,
    RetailLink,
    RetailPlan,
    TariffError,
    VoipPlan,
)
from portal.rating.peak import PeakCalendar, _holiday_names

LONDON = PeakSchedule("Europe/London", range(5), "08:00", "19:00", "GB", {"2026-12-24"})


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "in_peak", "reason"),
    [
        (utc(2026, 3, 31, 8, 15), True, "Tue 09:15 Europe/London within 08:00–19:00"),
        # Clocks went forward on Sunday 29 March: 07:30 UTC is 08:30 local the day after...
        (utc(2026, 3, 30, 7, 30), True, "Mon 08:30 Europe/London within 08:00–19:00"),
        # ...but was 07:30 local the Friday before.
        (utc(2026, 3, 27, 7, 30), False, "outside hours (Fri 07:30 Europe/London, peak 08:00–19:00)"),
        (utc(2026, 3, 30, 6, 59), False, "outside hours (Mon 07:59 Europe/London, peak 08:00–19:00)"),
        # Clocks went back on Sunday 25 October: 07:30 UTC is 07:30 local again.
        (utc(2026, 10, 26, 7, 30), False, "outside hours (Mon 07:30 Europe/London, peak 08:00–19:00)"),
        (utc(2026, 10, 26, 8, 0), True, "Mon 08:00 Europe/London within 08:00–19:00"),
        (utc(2026, 6, 2, 17, 59), True, "Tue 18:59 Europe/London within 08:00–19:00"),
        (utc(2026, 6, 2, 18, 0), False, "outside hours (Tue 19:00 Europe/London, peak 08:00–19:00)"),
        (utc(2026, 4, 4, 10, 0), False, "weekend (Sat 11:00 Europe/London)"),
        (utc(2026, 4, 5, 10, 0), False, "weekend (Sun 11:00 Europe/London)"),
        (utc(2026, 12, 25, 10, 0), False, "holiday Christmas Day (Fri 10:00 Europe/London)"),
        (utc(2026, 1, 1, 10, 0), False, "holiday New Year's Day (Thu 10:00 Europe/London)"),
        (utc(2027, 1, 1, 10, 0), False, "holiday New Year's Day (Fri 10:00 Europe/London)"),
        (utc(2026, 12, 31, 10, 0), True, "Thu 10:00 Europe/London within 08:00–19:00"),
        (utc(2026, 12, 24, 10, 0), False, "holiday 2026-12-24 (extra date) (Thu 10:00 Europe/London)"),
        (utc(2026, 4, 3, 10, 0), False, "holiday Good Friday (Fri 11:00 Europe/London)"),
    ],
)
def test_the_band_is_decided_in_local_time_on_the_local_holiday_calendar(at, in_peak, reason):
    assert PeakCalendar(LONDON).band(at) == (in_peak, reason)


@pytest.mark.parametrize(
    ("schedule", "at", "in_peak"),
    [
        (PeakSchedule("America/New_York", range(5), "07:00", "19:00", "US"), utc(2026, 3, 9, 11, 30), True),
        (PeakSchedule("America/New_York", range(5), "07:00", "19:00", "US"), utc(2026, 3, 6, 11, 30), False),
        (PeakSchedule("America/New_York", range(5), "07:00", "19:00", "US"), utc(2026, 7, 3, 15, 0), False),
        (PeakSchedule("UTC", range(7), "22:00", "06:00"), utc(2026, 6, 6, 23, 0), True),
        (PeakSchedule("UTC", range(7), "22:00", "06:00"), utc(2026, 6, 6, 5, 59), True),
        (PeakSchedule("UTC", range(7), "22:00", "06:00"), utc(2026, 6, 6, 6, 0), False),
        (PeakSchedule("UTC", range(7), "00:00", "00:00"), utc(2026, 6, 6, 13, 0), True),
        (PeakSchedule("UTC", range(7), "20:00", "00:00"), utc(2026, 6, 6, 23, 59), True),
        (PeakSchedule("UTC", range(7), "20:00", "00:00"), utc(2026, 6, 6, 0, 0), False),
        (PeakSchedule("UTC", {0, 1, 2}, time(8), time(19)), utc(2026, 6, 4, 10, 0), False),
        (PeakSchedule("Europe/London", range(5), "08:00", "19:00", "GB-ENG"), utc(2026, 4, 6, 10), False),
    ],
)
def test_zones_windows_past_midnight_and_subdivision_calendars(schedule, at, in_peak):
    assert PeakCalendar(schedule).band(at)[0] is in_peak


OVERNIGHT = PeakSchedule("Europe/London", range(5), "20:00", "08:00", "GB", {"2026-12-24"})


@pytest.mark.parametrize(
    ("at", "in_peak", "reason"),
    [
        (utc(2026, 6, 5, 19, 0), True, "Fri 20:00 Europe/London within 20:00–08:00"),
        # Friday's window runs into Saturday morning: it is Friday's.
        (utc(2026, 6, 6, 6, 59), True, "Sat 07:59 Europe/London, window opened Fri within 20:00–08:00"),
        (utc(2026, 6, 6, 7, 0), False, "outside hours (Sat 08:00 Europe/London, peak 20:00–08:00)"),
        (utc(2026, 6, 6, 19, 0), False, "weekend (Sat 20:00 Europe/London)"),
        # Monday's early hours belong to Sunday's window, which is not a peak day.
        (utc(2026, 6, 8, 6, 0), False, "weekend (Mon 07:00 Europe/London, window opened Sun)"),
        (utc(2026, 6, 8, 12, 0), False, "outside hours (Mon 13:00 Europe/London, peak 20:00–08:00)"),
        (utc(2026, 6, 9, 5, 0), True, "Tue 06:00 Europe/London, window opened Mon within 20:00–08:00"),
        # The window opened on Christmas Eve (an extra date) stays off-peak into Christmas morning...
        (utc(2026, 12, 25, 2, 0), False, "holiday 2026-12-24 (extra date) (Fri 02:00 Europe/London, window opened Thu)"),
        # ...and New Year's Eve's window is peak into New Year's Day, a public holiday.
        (utc(2027, 1, 1, 2, 0), True, "Fri 02:00 Europe/London, window opened Thu within 20:00–08:00"),
        (utc(2027, 1, 1, 20, 0), False, "holiday New Year's Day (Fri 20:00 Europe/London)"),
        # Clocks went back on Sunday 25 October: the window keeps to local time on both sides.
        (utc(2026, 10, 23, 6, 59), True, "Fri 07:59 Europe/London, window opened Thu within 20:00–08:00"),
        (utc(2026, 10, 23, 7, 0), False, "outside hours (Fri 08:00 Europe/London, peak 20:00–08:00)"),
        (utc(2026, 10, 27, 7, 59), True, "Tue 07:59 Europe/London, window opened Mon within 20:00–08:00"),
        (utc(2026, 10, 27, 8, 0), False, "outside hours (Tue 08:00 Europe/London, peak 20:00–08:00)"),
    ],
)  # fmt: skip
def test_a_window_past_midnight_belongs_to_the_day_it_opened(at, in_peak, reason):
    assert PeakCalendar(OVERNIGHT).band(at) == (in_peak, reason)


@pytest.mark.parametrize(
    ("at", "in_peak"),
    [(utc(2026, 6, 1, 0, 0), True), (utc(2026, 6, 5, 23, 59), True), (utc(2026, 6, 6, 0, 0), False)],
)
def test_a_window_ending_at_its_start_lasts_the_whole_day(at, in_peak):
    assert PeakCalendar(PeakSchedule("UTC", range(5), "00:00", "00:00")).band(at)[0] is in_peak


def test_a_weekday_outside_the_schedule_is_not_a_peak_day():
    schedule = PeakSchedule("UTC", {0, 1, 2}, "08:00", "19:00")
    assert PeakCalendar(schedule).band(utc(2026, 6, 4, 10, 0)) == (False, "not a peak day (Thu 10:00 UTC)")


def test_an_aware_time_in_another_zone_is_the_same_instant():
    new_york = timezone(timedelta(hours=-4))
    at = datetime(2026, 3, 31, 4, 15, tzinfo=new_york)  # 08:15 UTC, 09:15 in London
    assert PeakCalendar(LONDON).band(at.astimezone(UTC))[1].startswith("Tue 09:15")


def test_answers_within_one_minute_are_reused_but_the_next_minute_is_decided_again():
    calendar = PeakCalendar(LONDON)
    assert calendar.band(utc(2026, 6, 2, 17, 59, 0))[0] is True
    assert calendar.band(utc(2026, 6, 2, 17, 59, 59, 999999))[0] is True
    assert calendar.band(utc(2026, 6, 2, 18, 0, 0))[0] is False
    assert calendar.band(utc(2026, 6, 2, 17, 59, 30))[0] is True


def test_holidays_are_looked_up_once_per_country_and_year():
    assert _holiday_names("GB", 2031) is _holiday_names("GB", 2031)
    assert _holiday_names("GB", 2031)[date(2031, 12, 25)] == "Christmas Day"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": "Europe/Londn"}, "unknown time zone"),
        ({"timezone": None}, "unknown time zone"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": ()}, "weekdays"),
        ({"weekdays": "mon"}, "weekdays"),
        ({"weekdays": [True]}, "weekdays"),
        ({"weekdays": 5}, "weekdays"),
        ({"start": "8am"}, "HH:MM"),
        ({"start": "08:00:30"}, "HH:MM"),
        ({"start": "0800"}, "HH:MM"),
        ({"start": "24:00"}, "HH:MM"),
        ({"start": "٠٨:٠٠"}, "HH:MM"),
        ({"end": time(19, 0, 30)}, "to the minute"),
        ({"holiday_country": "XX"}, "unknown holiday calendar"),
        ({"holiday_country": "gb"}, "unknown holiday calendar"),
        ({"holiday_country": "GBR"}, "unknown holiday calendar"),
        ({"holiday_country": "GB-XX"}, "unknown holiday calendar"),
        ({"holiday_country": "GB-England"}, "unknown holiday calendar"),
        ({"holiday_country": "GB-"}, "unknown holiday calendar"),
        ({"extra_holidays": {datetime(2026, 12, 24)}}, "a date, not a time"),
        ({"extra_holidays": ["2026-13-01"]}, "a date such as"),
        ({"extra_holidays": ["20261224"]}, "a date such as"),
        ({"extra_holidays": "2026-12-24"}, "collection of dates"),
    ],
)
def test_a_bad_schedule_is_refused(fields, message):
    base = {"timezone": "Europe/London", "weekdays": range(5), "start": "08:00", "end": "19:00"}
    with pytest.raises(TariffError, match=message) as refused:
        PeakSchedule(**(base | fields))
    assert list(refused.value.fields) == list(fields)


def test_every_bad_value_of_a_schedule_is_named_at_once():
    with pytest.raises(TariffError) as refused:
        PeakSchedule("Europe/Londn", ["mon"], "08:00:30", "19:00", "XX", ["2026-02-30"])
    assert sorted(refused.value.fields) == ["extra_holidays", "holiday_country", "start", "timezone", "weekdays"]


@pytest.mark.parametrize("country", ["GB", "GB-ENG", "GB-SCT", "US-NY", "DE-BY"])
def test_countries_and_their_subdivisions_are_holiday_calendars(country):
    assert PeakSchedule("UTC", range(5), "08:00", "19:00", country).holiday_country == country


def engine_with(peak, rate_peak="0.20"):
    rates = [Rate(prefix="44", destination="UK", rate="0.10", rate_peak=rate_peak, t1=60, t2=60)]
    plan = RetailPlan(1, "Retail", "GBP", peak=peak, rates=rates)
    return RatingEngine([plan], [], [VoipPlan(1, "Plan", retail_links=[RetailLink(1)])])


@pytest.mark.parametrize(
    ("peak", "rate_peak", "answer_at", "price", "band", "reason"),
    [
        (LONDON, "0.20", utc(2026, 3, 31, 8, 15), "0.2000", "peak", "peak: Tue 09:15 Europe/London within 08:00–19:00"),
        (LONDON, "0.20", datetime(2026, 3, 31, 8, 15), "0.2000", "peak", "peak: Tue 09:15 Europe/London within 08:00–19:00"),
        (LONDON, "0.20", utc(2026, 3, 31, 19, 15), "0.1000", "off-peak", "off-peak: outside hours (Tue 20:15 Europe/London, peak 08:00–19:00)"),
        (LONDON, "0.20", utc(2026, 12, 25, 10, 0), "0.1000", "off-peak", "off-peak: holiday Christmas Day (Fri 10:00 Europe/London)"),
        (LONDON, None, utc(2026, 3, 31, 8, 15), "0.1000", "off-peak", "peak but rate has no peak price (Tue 09:15 Europe/London within 08:00–19:00)"),
        (None, "0.20", utc(2026, 3, 31, 8, 15), "0.1000", "off-peak", "no peak schedule"),
    ],
)  # fmt: skip
def test_a_call_answered_in_peak_and_not_on_a_holiday_uses_the_peak_price(
    peak, rate_peak, answer_at, price, band, reason
):
    rating = engine_with(peak, rate_peak).rate(1, "", "442079460000", answer_at, 60)
    assert rating.price == Decimal(price)
    assert (rating.trace["band"], rating.trace["band_reason"]) == (band, reason)
