"""CDR parsers: every record becomes a RawCdr or a Rejected naming its index and field (DESIGN §5, §7)."""

import io
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.cdrs.parsers import (
    FORMATS,
    MAX_SECONDS,
    NATIVE_COLUMNS,
    ParserError,
    RawCdr,
    Rejected,
    _quick,
    _time_reader,
    _validate,
    asterisk_columns,
    iter_csv,
    parse_json_records,
)

SAMPLES = Path(__file__).parent / "samples"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def good_record(**changes) -> dict:
    """A complete, valid JSON record; a change to `...` leaves that key out."""
    record = {"uuid": "c0ffee00-0000-4000-8000-000000000001", "account": "1001", "caller": "+442071234567",
              "callee": "447911123456", "start": "2026-10-05T14:03:00Z", "answer": "2026-10-05T14:03:07Z",
              "end": "2026-10-05T14:05:07Z", "billsec": 120, "duration": 127, "hangup_cause": 16,
              "src_ip": "192.0.2.10", "provider": "carrier-a", "switch": "sw1"}
    record.update(changes)
    return {key: value for key, value in record.items() if value is not ...}


def parse_one(**changes) -> RawCdr | Rejected:
    [result] = parse_json_records([good_record(**changes)])
    return result


def csv_rows(text: str, fmt: str, zone: str = "UTC") -> list[RawCdr | Rejected]:
    return list(iter_csv(io.StringIO(text, newline=""), fmt, zone))


def asterisk_row(accountcode="1001", src="1001", dst="447911123456", start="2026-10-05 14:03:00",
                 answer="2026-10-05 14:03:07", end="2026-10-05 14:05:07", duration="127", billsec="120",
                 disposition="ANSWERED", extra=("1759669380.1", "carrier-a")) -> str:
    fields = [accountcode, src, dst, "from-internal", '"Smith, John" <1001>', "SIP/1001-00000001",
              "SIP/trunk-00000002", "Dial", "SIP/trunk/447911123456,60", start, answer, end, duration, billsec,
              disposition, "DOCUMENTATION", *extra]
    return ",".join('"' + field.replace('"', '""') + '"' for field in fields) + "\n"


def freeswitch_row(name="Smith, John", number="+442071234567", destination="447911123456",
                   start="2026-10-05 14:03:00", answer="2026-10-05 14:03:07", end="2026-10-05 14:05:07",
                   duration="127", billsec="120", cause="NORMAL_CLEARING",
                   uuid="a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d", accountcode="1001", columns=15) -> str:
    fields = [name, number, destination, "default", start, answer, end, duration, billsec, cause, uuid, "",
              accountcode, "PCMA", "PCMA"][:columns]
    return ",".join('"' + field.replace('"', '""') + '"' for field in fields) + "\n"


# ---------------------------------------------------------------------------------------------------
# JSON records


def test_json_record_becomes_a_raw_cdr_with_aware_utc_times():
    assert parse_one() == RawCdr(
        uuid="c0ffee00-0000-4000-8000-000000000001", account="1001", caller="+442071234567", callee="447911123456",
        start=utc(2026, 10, 5, 14, 3), answer=utc(2026, 10, 5, 14, 3, 7), end=utc(2026, 10, 5, 14, 5, 7),
        billsec=120, duration=127, hangup_cause=16, src_ip="192.0.2.10", provider="carrier-a", switch="sw1")


def test_json_optional_fields_default_to_empty():
    record = {"uuid": "u1", "account": "1001", "callee": "447911123456", "start": "2026-10-05T14:03:00Z",
              "billsec": 0}
    assert parse_json_records([record]) == [RawCdr("u1", "1001", "", "447911123456", utc(2026, 10, 5, 14, 3),
                                                   None, None, 0, None, None, "", "", "")]


def test_json_empty_strings_and_nulls_count_as_absent_for_optional_fields():
    result = parse_one(caller="", answer="", end=None, duration="", hangup_cause="", src_ip=" ", provider=None,
                       switch="")
    assert (result.caller, result.answer, result.end, result.duration, result.hangup_cause, result.src_ip,
            result.provider, result.switch) == ("", None, None, None, None, "", "", "")


def test_json_strings_are_stripped():
    result = parse_one(uuid="  u1 ", account=" 1001\t", callee=" 447911123456 ", billsec=" 120 ",
                       start=" 2026-10-05T14:03:00Z ", provider=" carrier-a ")
    assert (result.uuid, result.account, result.callee, result.billsec, result.start, result.provider) == (
        "u1", "1001", "447911123456", 120, utc(2026, 10, 5, 14, 3), "carrier-a")


def test_json_unknown_keys_are_ignored():
    assert parse_one(lcr_route="x", cost="0.01", nested={"a": 1}) == parse_one()


@pytest.mark.parametrize(("changes", "longest", "error"), [
    ({"billsec": 60, "duration": 60, "end": ...}, 60, None),
    ({"billsec": 61, "duration": 60, "end": ...}, 60, "billsec: must be at most 60 s (the longest call taken)"),
    ({"duration": 201}, 200, "duration: must be at most 200 s (the longest call taken)"),
    ({"duration": ...}, 120, None),
    ({"billsec": 86401, "duration": ..., "end": ...}, 86400, "billsec: must be at most 86400 s"),
    ({"billsec": 2**31 - 1, "duration": ..., "end": ...}, 86400, "billsec: must be at most 86400 s"),
])
def test_a_call_longer_than_the_longest_taken_is_rejected_in_json_and_csv(changes, longest, error):
    record = good_record(**changes)
    row = ",".join(str(record.get(name, "")) for name in NATIVE_COLUMNS)
    [csv_result] = iter_csv(io.StringIO(",".join(NATIVE_COLUMNS) + "\n" + row + "\n"), "native", longest=longest)
    for result in (*parse_json_records([record], longest), csv_result):
        if error is None:
            assert isinstance(result, RawCdr)
        else:
            assert isinstance(result, Rejected) and result.error.startswith(error), result


def test_json_account_and_numbers_sent_as_json_numbers_become_text():
    result = parse_one(account=1001, caller=442071234567, callee=447911123456)
    assert (result.account, result.caller, result.callee) == ("1001", "442071234567", "447911123456")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("uuid", ..., "uuid: required"),
        ("uuid", "", "uuid: required"),
        ("uuid", "   ", "uuid: required"),
        ("uuid", "u" * 65, "uuid: must be at most 64 characters, got 65"),
        ("uuid", "bad\x00uuid", "uuid: must not contain control characters"),
        ("uuid", 12.5, "uuid: must be text, got 12.5"),
        ("uuid", ["u1"], "uuid: must be text, got an array"),
        ("uuid", "calls/1", "uuid: must not contain '/' (GET /cdrs/{uuid} could not name it), got 'calls/1'"),
        ("account", ..., "account: required"),
        ("account", "", "account: required"),
        ("account", "a" * 65, "account: must be at most 64 characters"),
        ("account", {"code": "1001"}, "account: must be text, got an object"),
        ("account", True, "account: must be text, got True"),
        ("caller", "4" * 65, "caller: must be at most 64 characters"),
        ("caller", "44\n20", "caller: must not contain control characters"),
        ("callee", ..., "callee: required"),
        ("callee", None, "callee: required"),
        ("callee", "4" * 65, "callee: must be at most 64 characters"),
        ("start", ..., "start: required"),
        ("start", "", "start: required"),
        ("start", "yesterday", "start: must be an ISO 8601 time such as 2026-10-05T14:03:00Z, got 'yesterday'"),
        ("start", "2026-10-05", "start: must be an ISO 8601 time"),
        ("start", "2026-13-05T14:03:00Z", "start: must be an ISO 8601 time"),
        ("start", "2026-10-05T25:03:00Z", "start: must be an ISO 8601 time"),
        ("start", 1759673000, "start: must be an ISO 8601 time such as 2026-10-05T14:03:00Z, got 1759673000"),
        ("start", "0001-01-01T00:00:00Z", ("start: must be written in the years 2000 to 2199, "
                                           "got '0001-01-01T00:00:00Z'")),
        ("start", "0001-01-01T00:00:00+23:59", "start: must be written in the years 2000 to 2199"),
        ("start", "9999-12-31T23:59:59-23:59", "start: must be written in the years 2000 to 2199"),
        ("start", "1999-12-31T23:59:59Z", "start: must be written in the years 2000 to 2199"),
        ("end", "2200-01-01T00:00:00Z", "end: must be written in the years 2000 to 2199"),
        ("answer", "soon", "answer: must be an ISO 8601 time"),
        ("end", "05/10/2026 14:05", "end: must be an ISO 8601 time"),
        ("billsec", ..., "billsec: required"),
        ("billsec", "", "billsec: required"),
        ("billsec", None, "billsec: required"),
        ("billsec", "abc", "billsec: must be a whole number of seconds >= 0, got 'abc'"),
        ("billsec", "30.5", "billsec: must be a whole number of seconds >= 0, got '30.5'"),
        ("billsec", "-1", "billsec: must be a whole number of seconds >= 0, got '-1'"),
        ("billsec", -1, "billsec: must be a whole number of seconds >= 0, got -1"),
        ("billsec", 30.5, "billsec: must be a whole number of seconds >= 0, got 30.5"),
        ("billsec", float("nan"), "billsec: must be a whole number of seconds >= 0, got nan"),
        ("billsec", True, "billsec: must be a whole number of seconds >= 0, got True"),
        ("billsec", "\u0663\u0660", "billsec: must be a whole number of seconds >= 0"),
        ("billsec", 2**31, "billsec: must be at most 2147483647 s"),
        ("duration", "abc", "duration: must be a whole number of seconds >= 0, got 'abc'"),
        ("duration", -5, "duration: must be a whole number of seconds >= 0, got -5"),
        ("hangup_cause", 128, "hangup_cause: must be a Q.850 code 0..127 or a cause name such as NORMAL_CLEARING"),
        ("hangup_cause", -1, "hangup_cause: must be a Q.850 code 0..127"),
        ("hangup_cause", "128", "hangup_cause: must be a Q.850 code 0..127"),
        ("hangup_cause", "FOO_BAR", ("hangup_cause: must be a Q.850 code 0..127 or a cause name such as "
                                     "NORMAL_CLEARING, got 'FOO_BAR'")),
        ("hangup_cause", "NORMAL CLEARING", "hangup_cause: must be a Q.850 code"),
        ("hangup_cause", True, "hangup_cause: must be a Q.850 code"),
        ("hangup_cause", 16.5, "hangup_cause: must be a Q.850 code"),
        ("src_ip", "1.2.3", "src_ip: must be an IPv4 or IPv6 address, got '1.2.3'"),
        ("src_ip", "256.1.1.1", "src_ip: must be an IPv4 or IPv6 address"),
        ("src_ip", "sbc.example.com", "src_ip: must be an IPv4 or IPv6 address"),
        ("src_ip", 3232235777, "src_ip: must be an IPv4 or IPv6 address"),
        ("provider", "p" * 121, "provider: must be at most 120 characters"),
        ("switch", "s" * 121, "switch: must be at most 120 characters"),
        ("switch", 7.0, "switch: must be text"),
    ],
)
def test_json_bad_field_is_rejected_by_name_and_the_rest_of_the_batch_is_kept(field, value, message):
    batch = [good_record(uuid="u0"), good_record(**{field: value}), good_record(uuid="u2")]
    first, rejected, last = parse_json_records(batch)
    assert rejected == Rejected(1, rejected.error)
    assert rejected.error.startswith(f"{field}: ")
    assert message in rejected.error
    assert isinstance(first, RawCdr) and first.uuid == "u0"
    assert isinstance(last, RawCdr) and last.uuid == "u2"


def test_json_every_problem_of_a_record_is_named_in_one_error():
    result = parse_one(uuid="", billsec="abc", hangup_cause="FOO", src_ip="nope")
    assert isinstance(result, Rejected)
    assert [part.split(":")[0] for part in result.error.split("; ")] == ["uuid", "billsec", "hangup_cause", "src_ip"]


@pytest.mark.parametrize("item", ["u1", 5, None, ["u1", "1001"], True])
def test_json_item_that_is_not_an_object_is_rejected_with_its_index(item):
    results = parse_json_records([good_record(), item])
    assert isinstance(results[0], RawCdr)
    assert results[1].index == 1
    assert results[1].error.startswith("record: must be an object")


@pytest.mark.parametrize("batch", [{"cdrs": []}, "u1", None, 5])
def test_json_batch_that_is_not_a_list_raises_parser_error(batch):
    with pytest.raises(ParserError, match="cdrs: must be a list"):
        parse_json_records(batch)


def test_json_empty_batch_gives_no_results():
    assert parse_json_records([]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-05T14:03:00Z", utc(2026, 10, 5, 14, 3)),
        ("2026-10-05T14:03:00+00:00", utc(2026, 10, 5, 14, 3)),
        ("2026-10-05T16:03:00+02:00", utc(2026, 10, 5, 14, 3)),
        ("2026-10-05T09:03:00-05:00", utc(2026, 10, 5, 14, 3)),
        ("2026-10-05T14:03:00", utc(2026, 10, 5, 14, 3)),
        ("2026-10-05 14:03:00", utc(2026, 10, 5, 14, 3)),
        ("2026-10-05T14:03:00.250Z", utc(2026, 10, 5, 14, 3, 0, 250000)),
        ("2026-10-06T00:33:00+10:30", utc(2026, 10, 5, 14, 3)),
    ],
)
def test_json_times_with_z_offset_or_none_become_utc(text, expected):
    result = parse_one(start=text, answer=..., end=..., billsec=0)
    assert result.start == expected
    assert result.start.tzinfo is UTC


@pytest.mark.parametrize("billsec", [120, "120", " 120 ", 120.0, Decimal(120), Decimal("120.000")])
def test_json_whole_seconds_are_accepted_as_numbers_or_digit_strings(billsec):
    assert parse_one(billsec=billsec).billsec == 120


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answer": "2026-10-05T14:02:59Z"}, "answer: must not be before start"),
        ({"end": "2026-10-05T14:03:06Z", "billsec": 0}, "end: must not be before answer"),
        ({"answer": ..., "end": "2026-10-05T14:02:00Z", "billsec": 0}, "end: must not be before start"),
        ({"billsec": 122}, "billsec: 122 s is longer than the call (120 s from answer to end)"),
        ({"answer": ..., "billsec": 130}, "billsec: 130 s is longer than the call (127 s from start to end)"),
    ],
)
def test_json_times_out_of_order_or_billsec_longer_than_the_call_are_rejected(changes, message):
    result = parse_one(**changes)
    assert isinstance(result, Rejected)
    assert message in result.error


@pytest.mark.parametrize("billsec", [0, 119, 120, 121])
def test_json_billsec_may_exceed_answer_to_end_by_one_second_of_rounding(billsec):
    assert parse_one(billsec=billsec).billsec == billsec


def test_json_answer_without_end_is_accepted():
    result = parse_one(end=...)
    assert (result.answer, result.end, result.billsec) == (utc(2026, 10, 5, 14, 3, 7), None, 120)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (16, 16),
        ("16", 16),
        (" 17 ", 17),
        (0, 0),
        (127, 127),
        (16.0, 16),
        ("NORMAL_CLEARING", 16),
        ("normal_clearing", 16),
        (" User_Busy ", 17),
        ("NO_ANSWER", 19),
        ("NORMAL_CIRCUIT_CONGESTION", 34),
        ("INTERWORKING", 127),
        ("ORIGINATOR_CANCEL", 16),
        ("LOSE_RACE", 16),
        ("PRE_EMPTED", 45),
        ("", None),
        (None, None),
    ],
)
def test_json_hangup_cause_is_a_q850_code_from_number_or_name(value, code):
    assert parse_one(hangup_cause=value).hangup_cause == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.0.2.10", "192.0.2.10"),
        (" 192.0.2.10 ", "192.0.2.10"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:192.0.2.10", "192.0.2.10"),
        ("", ""),
    ],
)
def test_json_src_ip_is_kept_in_one_canonical_spelling(value, expected):
    assert parse_one(src_ip=value).src_ip == expected


# ---------------------------------------------------------------------------------------------------
# Native CSV


NATIVE_HEADER = "uuid,account,caller,callee,start,answer,end,billsec,duration,hangup_cause,src_ip,provider,switch\n"


def test_native_csv_reads_every_field():
    text = NATIVE_HEADER + ("u1,1001,+442071234567,447911123456,2026-10-05T14:03:00Z,2026-10-05T14:03:07Z,"
                            "2026-10-05T14:05:07Z,120,127,NORMAL_CLEARING,192.0.2.10,carrier-a,sw1\n")
    assert csv_rows(text, "native") == [RawCdr(
        "u1", "1001", "+442071234567", "447911123456", utc(2026, 10, 5, 14, 3), utc(2026, 10, 5, 14, 3, 7),
        utc(2026, 10, 5, 14, 5, 7), 120, 127, 16, "192.0.2.10", "carrier-a", "sw1")]


def test_native_csv_columns_may_come_in_any_order_with_extra_ones_ignored():
    text = "Billsec, Start ,note,CALLEE,account,uuid\n30,2026-10-05 14:03:00,\"hello, world\",447911123456,1001,u1\n"
    assert csv_rows(text, "native") == [RawCdr("u1", "1001", "", "447911123456", utc(2026, 10, 5, 14, 3), None,
                                               None, 30, None, None, "", "", "")]


def test_native_csv_header_may_start_with_a_byte_order_mark():
    text = "\ufeffuuid,account,callee,start,billsec\nu1,1001,447911123456,2026-10-05 14:03:00,0\n"
    assert csv_rows(text, "native")[0].uuid == "u1"


def test_native_csv_naive_time_is_utc_whatever_the_timezone_argument():
    text = "uuid,account,callee,start,billsec\nu1,1001,447911123456,2026-07-05 14:03:00,0\n"
    assert csv_rows(text, "native", "Europe/London")[0].start == utc(2026, 7, 5, 14, 3)


def test_native_csv_bad_rows_are_rejected_by_index_and_good_ones_kept():
    text = (NATIVE_HEADER
            + "u0,1001,,447911123456,2026-10-05T14:03:00Z,,,0,,,,,\n"
            + "u1,1001,,447911123456,2026-10-05T14:03:00Z,,,abc,,,,,\n"
            + "u2,1001,,447911123456\n"
            + "u3,1001,,447911123456,2026-10-05T14:03:00Z,,,0,,FOO,,,\n"
            + "u4,1001,,447911123456,2026-10-05T14:03:00Z,,,0,,,,,\n")
    results = csv_rows(text, "native")
    assert [type(result).__name__ for result in results] == ["RawCdr", "Rejected", "Rejected", "Rejected", "RawCdr"]
    assert results[1] == Rejected(1, "billsec: must be a whole number of seconds >= 0, got 'abc'")
    assert results[2] == Rejected(2, "row: expected 13 columns like the header, got 4")
    assert results[3].index == 3 and results[3].error.startswith("hangup_cause: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n  \n", "the file is empty"),
        ("uuid,account,callee,start\n", "lacks required column(s) billsec"),
        ("uuid,caller,callee\n", "lacks required column(s) account, start, billsec"),
        ("u1,1001,447911123456,2026-10-05 14:03:00,30\n", "lacks required column(s) uuid, account"),
        ("uuid,account,callee,start,billsec,uuid\n", "column 'uuid' appears twice"),
        ('"uuid' + "x" * 200_000 + "\n", "the header row cannot be read (field larger than field limit"),
    ],
)
def test_native_csv_without_a_usable_header_raises_parser_error(text, message):
    with pytest.raises(ParserError, match=re.escape(message)):
        iter_csv(io.StringIO(text), "native")


# ---------------------------------------------------------------------------------------------------
# Asterisk Master.csv


def test_asterisk_sample_file_keeps_every_good_row_and_rejects_the_one_without_account():
    with (SAMPLES / "Master.csv").open(newline="") as handle:
        results = list(iter_csv(handle, "asterisk"))
    assert len(results) == 10
    assert [index for index, result in enumerate(results) if isinstance(result, Rejected)] == [7]
    assert results[7] == Rejected(7, "account: required")
    assert results[0] == RawCdr(
        "1759669380.1", "1001", "1001", "447911123456", utc(2026, 10, 5, 14, 3), utc(2026, 10, 5, 14, 3, 7),
        utc(2026, 10, 5, 14, 5, 7), 120, 127, 16, "", "carrier-a", "")
    assert [result.hangup_cause for result in results if isinstance(result, RawCdr)] == [16, 19, 16, 17, 41, 34, 16,
                                                                                          16, 19]
    assert results[2].uuid.startswith("ast-") and results[2].provider == ""
    assert results[3].uuid == "1759674660.12" and results[3].provider == ""
    assert results[4].provider == "carrier-b"


@pytest.mark.parametrize(
    ("disposition", "cause"),
    [("ANSWERED", 16), ("BUSY", 17), ("NO ANSWER", 19), ("FAILED", 41), ("CONGESTION", 34), ("no answer", 19)],
)
def test_asterisk_disposition_maps_to_a_q850_cause(disposition, cause):
    [result] = csv_rows(asterisk_row(disposition=disposition, billsec="0"), "asterisk")
    assert result.hangup_cause == cause


@pytest.mark.parametrize("disposition", ["BUSY", "NO ANSWER", "FAILED", "CONGESTION"])
def test_asterisk_unanswered_call_has_no_answer_time_and_zero_billsec_whatever_the_row_says(disposition):
    row = asterisk_row(start="2026-10-05 14:10:00", answer="2026-10-05 14:10:00", end="2026-10-05 14:10:25",
                       duration="25", billsec="7", disposition=disposition)
    [result] = csv_rows(row, "asterisk")
    assert (result.answer, result.billsec, result.duration) == (None, 0, 25)


def test_asterisk_unknown_disposition_is_rejected():
    [result] = csv_rows(asterisk_row(disposition="MAYBE"), "asterisk")
    assert result == Rejected(0, "disposition: must be one of ANSWERED, BUSY, NO ANSWER, FAILED, CONGESTION, "
                                 "got 'MAYBE'")


@pytest.mark.parametrize(
    ("extra", "uuid", "provider"),
    [
        ((), None, ""),
        (("1759669380.1",), "1759669380.1", ""),
        (("1759669380.1", "carrier-a"), "1759669380.1", "carrier-a"),
        (("1759669380.1", ""), "1759669380.1", ""),
        (("", "carrier-a"), None, "carrier-a"),
        (("carrier-a",), None, "carrier-a"),
        (("",), None, ""),
        (("pbx-eu.1-1759669380.17",), "pbx-eu.1-1759669380.17", ""),
        (("1759669380",), None, "1759669380"),
        (("12.5",), None, "12.5"),
    ],
)
def test_asterisk_rows_may_have_16_17_or_18_columns(extra, uuid, provider):
    [result] = csv_rows(asterisk_row(extra=extra), "asterisk")
    assert isinstance(result, RawCdr)
    if uuid is None:
        assert re.fullmatch(r"ast-[0-9a-f]{32}", result.uuid)
    else:
        assert result.uuid == uuid
    assert (result.provider, result.switch, result.src_ip) == (provider, "", "")


@pytest.mark.parametrize("columns", [1, 15, 19, 25])
def test_asterisk_row_with_the_wrong_number_of_columns_is_rejected(columns):
    bad = ",".join(f"c{number}" for number in range(columns)) + "\n"
    results = csv_rows(asterisk_row() + bad + asterisk_row(), "asterisk")
    assert isinstance(results[0], RawCdr) and isinstance(results[2], RawCdr)
    assert results[1] == Rejected(1, f"row: expected 16, 17 or 18 columns (Asterisk Master.csv), got {columns}")


@pytest.mark.parametrize(
    ("layout", "extra", "uuid", "provider"),
    [
        (("userfield",), ("1759669380.1",), None, "1759669380.1"),
        (("uniqueid",), ("carrier-a",), "carrier-a", ""),
        (("uniqueid", "userfield"), ("1759669380.1", "carrier-a"), "1759669380.1", "carrier-a"),
    ],
)
def test_asterisk_columns_given_are_not_guessed(layout, extra, uuid, provider):
    [result] = list(iter_csv(io.StringIO(asterisk_row(extra=extra)), "asterisk", columns=layout))
    assert result.provider == provider
    if uuid is None:
        assert re.fullmatch(r"ast-[0-9a-f]{32}", result.uuid)
    else:
        assert result.uuid == uuid


@pytest.mark.parametrize("extra", [(), ("1759669380.1", "carrier-a")])
def test_asterisk_row_not_as_wide_as_the_columns_given_is_rejected(extra):
    [result] = list(iter_csv(io.StringIO(asterisk_row(extra=extra)), "asterisk", columns=("userfield",)))
    assert result == Rejected(0, f"row: expected 17 columns (Asterisk Master.csv with userfield), "
                                 f"got {16 + len(extra)}")


@pytest.mark.parametrize(
    ("spec", "layout"),
    [("uniqueid", ("uniqueid",)), (" UserField ", ("userfield",)), ("uniqueid, userfield", ("uniqueid", "userfield"))],
)
def test_asterisk_columns_are_named_as_cdr_csv_options(spec, layout):
    assert asterisk_columns(spec) == layout


@pytest.mark.parametrize("spec", ["", "userfield,uniqueid", "uniqueid,uniqueid", "linkedid", None])
def test_asterisk_columns_cdr_csv_cannot_write_are_refused(spec):
    with pytest.raises(ParserError, match="columns: the Asterisk columns after amaflags"):
        asterisk_columns(spec)


@pytest.mark.parametrize(("fmt", "columns"), [("native", ("uniqueid",)), ("freeswitch", ("userfield",)),
                                               ("asterisk", ()), ("asterisk", ("linkedid",))])
def test_iter_csv_takes_columns_only_for_asterisk_and_only_a_layout_it_writes(fmt, columns):
    with pytest.raises(ParserError, match="columns: only for format asterisk"):
        iter_csv(io.StringIO(""), fmt, columns=columns)


def test_asterisk_rows_differing_only_in_where_a_separator_sits_get_different_uuids():
    row = asterisk_row(extra=())  # dcontext then clid: "from-internal","""Smith, John"" <1001>"
    first = row.replace('"from-internal","', '"from-internal\x1f","')
    second = row.replace('"from-internal","', '"from-internal","\x1f')
    [one], [other] = csv_rows(first, "asterisk"), csv_rows(second, "asterisk")
    assert one.uuid != other.uuid and one.uuid.startswith("ast-") and other.uuid.startswith("ast-")


def test_asterisk_same_file_imported_twice_gives_the_same_uuids():
    def uuids():
        with (SAMPLES / "Master.csv").open(newline="") as handle:
            return [result.uuid for result in iter_csv(handle, "asterisk") if isinstance(result, RawCdr)]

    first, second = uuids(), uuids()
    assert first == second
    assert len(set(first)) == len(first)


@pytest.mark.parametrize(
    "changes",
    [{"dst": "447911123457"}, {"start": "2026-10-05 14:03:01"}, {"billsec": "119"}, {"src": "1002"}],
)
def test_asterisk_rows_that_differ_get_different_uuids(changes):
    [base] = csv_rows(asterisk_row(extra=()), "asterisk")
    [other] = csv_rows(asterisk_row(extra=(), **changes), "asterisk")
    assert base.uuid != other.uuid


@pytest.mark.parametrize(
    ("start", "answer", "end", "expected"),
    [
        # Summer time: London is UTC+1.
        ("2026-07-01 12:00:00", "2026-07-01 12:00:05", "2026-07-01 12:01:05",
         (utc(2026, 7, 1, 11, 0), utc(2026, 7, 1, 11, 0, 5), utc(2026, 7, 1, 11, 1, 5))),
        # Winter: London is UTC.
        ("2026-12-01 12:00:00", "2026-12-01 12:00:05", "2026-12-01 12:01:05",
         (utc(2026, 12, 1, 12, 0), utc(2026, 12, 1, 12, 0, 5), utc(2026, 12, 1, 12, 1, 5))),
        # Clocks go forward at 01:00 GMT on 29 March 2026: 00:59:30 to 02:00:30 local is one minute.
        ("2026-03-29 00:59:00", "2026-03-29 00:59:30", "2026-03-29 02:00:30",
         (utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 0, 59, 30), utc(2026, 3, 29, 1, 0, 30))),
        # Clocks go back at 02:00 BST on 25 October 2026: 01:30 happens twice; the first is taken.
        ("2026-10-25 00:59:00", "2026-10-25 00:59:30", "2026-10-25 01:30:00",
         (utc(2026, 10, 24, 23, 59), utc(2026, 10, 24, 23, 59, 30), utc(2026, 10, 25, 0, 30))),
    ],
)
def test_asterisk_local_times_are_converted_to_utc_across_daylight_saving_changes(start, answer, end, expected):
    [result] = csv_rows(asterisk_row(start=start, answer=answer, end=end, duration="60", billsec="60"), "asterisk",
                        "Europe/London")
    assert (result.start, result.answer, result.end) == expected


def test_asterisk_billsec_is_checked_against_the_real_length_of_a_call_across_a_clock_change():
    # 00:59:30 GMT to 02:00:30 BST is 60 s, though the wall clock moved 61 minutes.
    row = asterisk_row(start="2026-03-29 00:59:00", answer="2026-03-29 00:59:30", end="2026-03-29 02:00:30",
                       duration="150", billsec="600")
    [result] = csv_rows(row, "asterisk", "Europe/London")
    assert result == Rejected(0, "billsec: 600 s is longer than the call (60 s from answer to end)")


def test_asterisk_times_are_utc_by_default():
    [result] = csv_rows(asterisk_row(start="2026-07-01 12:00:00", answer="", end="", billsec="0",
                                     disposition="NO ANSWER"), "asterisk")
    assert result.start == utc(2026, 7, 1, 12, 0)


# ---------------------------------------------------------------------------------------------------
# FreeSWITCH mod_cdr_csv


def test_freeswitch_sample_file_keeps_every_good_row_and_rejects_the_one_without_account():
    with (SAMPLES / "freeswitch.csv").open(newline="") as handle:
        results = list(iter_csv(handle, "freeswitch"))
    assert len(results) == 10
    assert [index for index, result in enumerate(results) if isinstance(result, Rejected)] == [7]
    assert results[7] == Rejected(7, "account: required")
    assert results[0] == RawCdr(
        "a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d", "1001", "+442071234567", "447911123456", utc(2026, 10, 5, 14, 3),
        utc(2026, 10, 5, 14, 3, 7), utc(2026, 10, 5, 14, 5, 7), 120, 127, 16, "", "", "")
    causes = [result.hangup_cause for result in results if isinstance(result, RawCdr)]
    assert causes == [16, 16, 16, 17, 19, 1, 16, 21, 41]
    assert results[1].answer is None and results[1].billsec == 0
    assert results[6].caller == "1004"  # the quoted caller_id_name "O""Brien, Pat" kept the columns in place


def test_freeswitch_local_times_use_the_timezone_argument():
    [result] = csv_rows(freeswitch_row(), "freeswitch", "America/New_York")
    assert (result.start, result.end) == (utc(2026, 10, 5, 18, 3), utc(2026, 10, 5, 18, 5, 7))


@pytest.mark.parametrize(("cause", "code"), [("NORMAL_CLEARING", 16), ("USER_BUSY", 17), ("ORIGINATOR_CANCEL", 16),
                                             ("MEDIA_TIMEOUT", 16), ("16", 16), ("", None)])
def test_freeswitch_hangup_cause_names_become_q850_codes(cause, code):
    [result] = csv_rows(freeswitch_row(cause=cause), "freeswitch")
    assert result.hangup_cause == code


def test_freeswitch_unknown_hangup_cause_is_rejected():
    [result] = csv_rows(freeswitch_row(cause="HUNG_UP_ANGRILY"), "freeswitch")
    assert result == Rejected(0, "hangup_cause: must be a Q.850 code 0..127 or a cause name such as NORMAL_CLEARING, "
                                 "got 'HUNG_UP_ANGRILY'")


@pytest.mark.parametrize("columns", [1, 14])
def test_freeswitch_row_with_the_wrong_number_of_columns_is_rejected(columns):
    text = freeswitch_row() + freeswitch_row(columns=columns) + freeswitch_row(uuid="other")
    first, bad, last = csv_rows(text, "freeswitch")
    assert bad == Rejected(1, f"row: expected 15 columns (FreeSWITCH cdr_csv example template), got {columns}")
    assert first.uuid != last.uuid


def test_freeswitch_row_with_too_many_columns_is_rejected():
    [result] = csv_rows(freeswitch_row().rstrip("\n") + ',"extra"\n', "freeswitch")
    assert result == Rejected(0, "row: expected 15 columns (FreeSWITCH cdr_csv example template), got 16")


# ---------------------------------------------------------------------------------------------------
# Every CSV format


@pytest.mark.parametrize(
    ("fmt", "changes", "message"),
    [
        ("asterisk", {"accountcode": " "}, "account: required"),
        ("asterisk", {"accountcode": "a" * 65}, "account: must be at most 64 characters, got 65"),
        ("asterisk", {"dst": ""}, "callee: required"),
        ("asterisk", {"src": "10\x0701"}, "caller: must not contain control characters, got '10\\x0701'"),
        ("asterisk", {"start": ""}, "start: required"),
        ("asterisk", {"start": "05/10/2026 14:03"}, "start: must be an ISO 8601 time"),
        ("asterisk", {"answer": "2026-10-05 14:02:00"}, "answer: must not be before start"),
        ("asterisk", {"end": "2026-10-05 14:03:05"}, "end: must not be before answer"),
        ("asterisk", {"billsec": ""}, "billsec: required"),
        ("asterisk", {"billsec": "abc"}, "billsec: must be a whole number of seconds >= 0, got 'abc'"),
        ("asterisk", {"billsec": "200"}, "billsec: 200 s is longer than the call (120 s from answer to end)"),
        ("asterisk", {"duration": "-1"}, "duration: must be a whole number of seconds >= 0, got '-1'"),
        ("asterisk", {"extra": ("u" * 65, "")}, "uuid: must be at most 64 characters"),
        ("asterisk", {"extra": ("1759669380.1", "p" * 121)}, "provider: must be at most 120 characters"),
        ("freeswitch", {"uuid": ""}, "uuid: required"),
        ("freeswitch", {"uuid": "a5c9f6c0/e752"}, "uuid: must not contain '/'"),
        ("freeswitch", {"accountcode": ""}, "account: required"),
        ("freeswitch", {"destination": " "}, "callee: required"),
        ("freeswitch", {"number": "+44\x00"}, "caller: must not contain control characters"),
        ("freeswitch", {"start": "2026-10-05"}, "start: must be an ISO 8601 time"),
        ("freeswitch", {"answer": "soon"}, "answer: must be an ISO 8601 time"),
        ("freeswitch", {"billsec": "30.5"}, "billsec: must be a whole number of seconds >= 0, got '30.5'"),
        ("freeswitch", {"answer": "", "end": "", "billsec": "9999999999"},
         "billsec: must be at most 2147483647 s (the longest call taken), got '9999999999'"),
        ("freeswitch", {"duration": "1e3"}, "duration: must be a whole number of seconds >= 0, got '1e3'"),
    ],
)
def test_switch_csv_bad_field_is_rejected_by_name_and_the_rest_of_the_file_is_kept(fmt, changes, message):
    build = asterisk_row if fmt == "asterisk" else freeswitch_row
    first, rejected, last = csv_rows(build() + build(**changes) + build(), fmt)
    assert isinstance(first, RawCdr) and isinstance(last, RawCdr)
    assert rejected.index == 1
    assert message in rejected.error
    assert rejected.error.startswith(message.split(":")[0] + ": ")



@pytest.mark.parametrize(
    ("fmt", "row"),
    [("asterisk", asterisk_row()), ("freeswitch", freeswitch_row()),
     ("native", "u1,1001,447911123456,2026-10-05 14:03:00,0\n")],
)
def test_blank_lines_take_no_index(fmt, row):
    head = "uuid,account,callee,start,billsec\n\n" if fmt == "native" else "\n"
    bad = "only,three,columns\n"
    results = csv_rows(head + row + "\n  \n" + bad + "\r\n" + row + "\n", fmt)
    assert [type(result).__name__ for result in results] == ["RawCdr", "Rejected", "RawCdr"]
    assert results[1].index == 1


def test_unreadable_csv_row_is_rejected_and_reading_carries_on():
    oversized = '"' + "x" * 200_000 + '",' + asterisk_row()
    results = csv_rows(asterisk_row() + oversized + asterisk_row(), "asterisk")
    assert [type(result).__name__ for result in results] == ["RawCdr", "Rejected", "RawCdr"]
    assert results[1].index == 1 and results[1].error.startswith("row: unreadable CSV")


def test_a_quoted_field_may_span_lines():
    row = asterisk_row().replace('""Smith, John"" <1001>', "Smith,\nJohn")
    assert "\nJohn" in row
    [result] = csv_rows(row, "asterisk")
    assert isinstance(result, RawCdr)


@pytest.mark.parametrize(
    ("fmt", "zone", "message"),
    [
        ("xml", "UTC", "format: must be one of native, asterisk, freeswitch, got 'xml'"),
        ("", "UTC", "format: must be one of"),
        (None, "UTC", "format: must be one of"),
        ("asterisk", "Mars/Olympus_Mons", "timezone: unknown time zone 'Mars/Olympus_Mons'"),
        ("freeswitch", "../../etc/passwd", "timezone: unknown time zone"),
        ("asterisk", "", "timezone: must be an IANA time zone name"),
        ("native", None, "timezone: must be an IANA time zone name"),
    ],
)
def test_unknown_format_or_timezone_raises_parser_error_before_any_row_is_read(fmt, zone, message):
    stream = io.StringIO(asterisk_row())
    with pytest.raises(ParserError, match=re.escape(message)):
        iter_csv(stream, fmt, zone)
    assert stream.tell() == 0


@pytest.mark.parametrize("fmt", ["Asterisk", " FREESWITCH "])
def test_format_name_is_read_case_insensitively(fmt):
    assert iter_csv(io.StringIO(""), fmt) is not None


def test_parser_error_is_a_value_error():
    assert issubclass(ParserError, ValueError)


def test_formats_are_native_asterisk_and_freeswitch():
    assert FORMATS == ("native", "asterisk", "freeswitch")


def test_iter_csv_streams_rows_as_they_are_read():
    class Lines:
        """A file that fails if read past the second row."""

        def __init__(self):
            self.lines = iter([asterisk_row(), asterisk_row(extra=())])

        def __iter__(self):
            return self

        def __next__(self):
            try:
                return next(self.lines)
            except StopIteration:
                raise AssertionError("read past what was asked for") from None

    results = iter_csv(Lines(), "asterisk")
    assert isinstance(next(results), RawCdr)
    assert isinstance(next(results), RawCdr)


# ---------------------------------------------------------------------------------------------------
# Properties

printable_text = st.text(st.characters(blacklist_categories=("C", "Z")), min_size=1, max_size=64)
optional_text = st.one_of(st.just(""), printable_text)
offsets = st.sampled_from([timedelta(0), timedelta(hours=2), timedelta(hours=-5), timedelta(hours=5, minutes=30),
                           timedelta(hours=-9, minutes=-30)])
moments = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
cause_spellings = st.sampled_from([(16, 16), ("16", 16), ("NORMAL_CLEARING", 16), ("user_busy", 17), (127, 127),
                                   (0, 0), ("", None), (None, None)])


def spelled(moment: datetime, offset: timedelta, style: int) -> str:
    """One of the ways a switch may write an instant."""
    if style == 0:
        return moment.isoformat().replace("+00:00", "Z")
    if style == 1:
        return moment.replace(tzinfo=None).isoformat(sep=" ")
    return moment.astimezone(timezone(offset)).isoformat()


@st.composite
def valid_records(draw):
    start = draw(moments)
    answered = draw(st.booleans())
    answer = start + timedelta(seconds=draw(st.integers(0, 120))) if answered else None
    end = (answer or start) + timedelta(seconds=draw(st.integers(0, 7200))) if draw(st.booleans()) else None
    limit = int((end - (answer or start)).total_seconds()) if end else 100_000
    billsec = draw(st.integers(0, limit))
    duration = draw(st.one_of(st.none(), st.integers(0, 100_000)))
    cause, code = draw(cause_spellings)
    src_ip = draw(st.one_of(st.just(""), st.ip_addresses(v=4).map(str)))
    values = {"uuid": draw(printable_text.filter(lambda text: "/" not in text)), "account": draw(printable_text), "caller": draw(optional_text),
              "callee": draw(printable_text), "provider": draw(optional_text), "switch": draw(optional_text)}
    record = {**values, "start": spelled(start, draw(offsets), draw(st.integers(0, 2))),
              "billsec": draw(st.sampled_from([billsec, str(billsec)])), "hangup_cause": cause, "src_ip": src_ip}
    if answer:
        record["answer"] = spelled(answer, draw(offsets), draw(st.integers(0, 2)))
    if end:
        record["end"] = spelled(end, draw(offsets), draw(st.integers(0, 2)))
    if duration is not None:
        record["duration"] = duration
    expected = RawCdr(values["uuid"], values["account"], values["caller"], values["callee"], start, answer, end,
                      billsec, duration, code, src_ip, values["provider"], values["switch"])
    return record, expected


@given(st.lists(valid_records(), min_size=1, max_size=5))
def test_property_valid_json_records_come_back_with_the_same_values(cases):
    records, expected = zip(*cases, strict=True)
    assert parse_json_records(list(records)) == list(expected)


garbage = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.decimals(), st.text(), st.text(max_size=3),
    st.sampled_from(["", " ", "2026-10-05T14:03:00Z", "2026-10-05 14:03:00", "9999-12-31T23:59:59-23:59",
                     "0001-01-01T00:00:00+23:59", "NORMAL_CLEARING", "16", "0", "-1", "::1", "\x00", "\ud800"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(st.dictionaries(st.sampled_from(NATIVE_COLUMNS), garbage), st.sampled_from(NATIVE_COLUMNS), garbage)
def test_property_garbage_in_any_json_field_never_raises(record, field, value):
    base = good_record()
    base.update(record)
    base[field] = value
    [result] = parse_json_records([base])
    assert isinstance(result, RawCdr | Rejected)
    if isinstance(result, Rejected):
        assert result.index == 0 and result.error


csv_garbage = st.text(st.sampled_from('abc019:-+ ,"\n\r\t\x00Zé'), max_size=300)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["asterisk", "freeswitch"]), csv_garbage, st.lists(st.integers(0, 17), max_size=4),
       csv_garbage)
def test_property_garbage_in_a_switch_csv_never_raises(fmt, garbage_text, mangled, tail):
    row = asterisk_row() if fmt == "asterisk" else freeswitch_row()
    fields = row.rstrip("\n").split('","')
    for position in mangled:
        if position < len(fields):
            fields[position] = garbage_text[:20]
    text = garbage_text + "\n" + '","'.join(fields) + "\n" + tail
    results = csv_rows(text, fmt, "Europe/London")
    assert all(isinstance(result, RawCdr | Rejected) for result in results)
    indexes = [result.index for result in results if isinstance(result, Rejected)]
    assert indexes == sorted(set(indexes))
    assert all(0 <= index < len(results) for index in indexes)


@given(csv_garbage)
def test_property_garbage_native_csv_never_raises_once_the_header_is_read(text):
    results = csv_rows("uuid,account,callee,start,billsec,hangup_cause,src_ip\n" + text, "native")
    assert all(isinstance(result, RawCdr | Rejected) for result in results)


tricky_text = st.one_of(
    st.sampled_from(["", " ", "x" * 65, "a\x00b", "\ud800", "\u0663", "030", "9999999999", "30.5", "-1", "+1",
                     "2026-10-05", "2026-10-05 14:03:00Z ", "2026-10-05 13:00:00", "fe80::1%x\x01", "p" * 121]),
    st.text(max_size=8),
)
#: Values a switch may well write in each CSV field, in the order `_quick` takes them.
ROW_FIELDS = (
    ["u1", " u1 ", "x" * 64, "é-ü"],
    ["1001", " 1001 "],
    ["", "+442071234567", " 1001 "],
    ["447911123456", "0044 7911"],
    ["2026-10-05 14:03:00", "2026-10-05T14:03:00Z", "2026-10-05T15:03:00+01:00", "2026-03-29 00:59:00",
     "2026-10-25 00:59:00"],
    ["", "2026-10-05 14:03:07", "2026-10-25 01:30:00", "2026-03-29 02:00:30"],
    ["", "2026-10-05 14:05:07", "2026-10-25 01:30:00", "2026-03-29 02:00:30", "2026-10-05T14:05:08Z"],
    ["0", "30", "120", "121", "122", " 60 ", "0000000030"],
    ["", "127", "9999999999"],
    ["", "192.0.2.1", "::ffff:192.0.2.1", " 2001:DB8::1 "],
    ["", "carrier-a", "p" * 120],
    ["", "sw1"],
)


@st.composite
def switch_rows(draw):
    """A plausible row with up to two fields replaced by something a broken switch might write."""
    fields = [draw(st.sampled_from(values)) for values in ROW_FIELDS]
    for position in draw(st.lists(st.integers(0, len(fields) - 1), max_size=2)):
        fields[position] = draw(tricky_text)
    return fields


@settings(max_examples=500)
@given(switch_rows(), st.sampled_from([None, 0, 16, 127]),
       st.sampled_from([UTC, "Europe/London"]), st.sampled_from([60, 121, 86400, MAX_SECONDS]))
def test_property_fast_path_accepts_only_what_full_validation_accepts_with_the_same_values(fields, cause, zone,
                                                                                            longest):
    read = _time_reader(UTC if zone is UTC else ZoneInfo(zone))
    uuid, account, caller, callee, start, answer, end, billsec, duration, src_ip, provider, switch = fields
    quick = _quick(read, longest, uuid, account, caller, callee, start, answer, end, billsec, duration, cause,
                   src_ip, provider, switch)
    if quick is not None:
        assert quick == _validate([], uuid, account, caller, callee, start, answer, end, billsec, duration, cause,
                                  src_ip, provider, switch, read, longest)
