"""Turn what switches send into validated plain records (DESIGN §5 `POST /cdrs`, §7 Bad input).

Every input record becomes either a `RawCdr` or a `Rejected` that names its index and every field
that is wrong, so one bad record never costs the rest of its batch. Pure Python: no Flask, no
SQLAlchemy; the ingest pipeline stores what comes out.

Conventions an operator can rely on:

- **Index**: the 0-based position among the data rows. A JSON batch counts every item. A CSV file
  counts every non-blank row: a native file's header is not counted and blank lines take no index,
  so index 41 is the 42nd call in the file whatever empty lines surround it. A quoted field may
  span lines, so an index is a row number, not a line number.
- **Times**: ISO 8601 (`2026-10-05T14:03:00Z`, `2026-10-05T16:03:00+02:00`) or
  `2026-10-05 14:03:00`; always returned as aware UTC. A time without offset is UTC in JSON and
  native CSV (DESIGN §5). In Asterisk and FreeSWITCH files it is the wall-clock time of the
  `timezone` given to `iter_csv`, because switches log local time (pass "UTC" for an Asterisk with
  `usegmtime=yes`). A local time that occurs twice when clocks go back is read as the first one.
  A time written outside the years of `portal.moments` (2000 to 2199) rejects its record.
- **Asterisk** `Master.csv` (cdr_csv): `disposition` gives the hangup cause (`ASTERISK_DISPOSITIONS`);
  every disposition but ANSWERED is an unanswered call, so billsec is 0 and answer empty whatever
  the row says. After the 16 standard columns come `uniqueid` (cdr_csv `loguniqueid`) and then
  `userfield` (`loguserfield`), each only when logged: both off by default. 18 columns hold both;
  in a 17-column row the last one is the uniqueid when it looks like one (`<epoch>.<sequence>`,
  after `<systemname>-` where asterisk.conf names one), else it is the userfield. `columns`
  (`asterisk_columns("userfield")`) states the layout instead of guessing it. Asterisk has no
  provider column: a non-empty `userfield` is taken as the provider name. A row without a uniqueid
  gets `ast-` + 32 hex digits of the SHA-256 of its cells, so importing the same file twice yields
  the same uuids (the second import counts as duplicates) while two calls, whose rows differ at
  least in channel or times, never share one.
- **uuid** never holds `/`: `GET /cdrs/{uuid}` could not name it (no switch writes one).
- **Hangup causes** are Q.850 codes 0–127, given as a number or as an enumeration name of
  `portal/data/q850.csv` (any case). FreeSWITCH's own causes above 127 (ORIGINATOR_CANCEL,
  LOSE_RACE, …) become 16 NORMAL_CLEARING, as FreeSWITCH itself reports them in `hangup_cause_q850`.
- **Seconds** (billsec, duration) are whole numbers: `30`, `"30"` and the JSON number `30.0` are
  accepted; `"30.5"`, `"30.0"`, `-1` and booleans are not. Neither may exceed `longest`, the
  longest call the operator takes (`MAX_CDR_SECONDS`, a day by default): a switch that writes
  2147483647 would otherwise charge 24,855 days of calling.
- **src_ip** comes back in one spelling per address (`2001:db8::1`; `::ffff:192.0.2.1` as
  `192.0.2.1`), so per-IP watchdog quotas count one source once.
"""

import csv
import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from portal.moments import WINDOW, YEARS, OutsideWindow
from portal.rating.peak import time_zones

FORMATS = ("native", "asterisk", "freeswitch")

Q850_FILE = Path(__file__).resolve().parent.parent / "data" / "q850.csv"

#: Longest uuid, account code, caller and callee (the `cdrs` columns).
MAX_ID_CHARS = 64
#: Longest provider and switch name.
MAX_NAME_CHARS = 120
#: Longest source address (an IPv6 address with an IPv4 tail).
MAX_IP_CHARS = 45
#: billsec and duration are stored in 32-bit integer columns.
MAX_SECONDS = 2**31 - 1
#: Switches round billsec to whole seconds, so it may exceed answer-to-end by up to this much.
BILLSEC_TOLERANCE = 1

#: Asterisk `disposition` → Q.850 cause: busy 17 USER_BUSY, no answer 19 NO_ANSWER, failed
#: 41 NORMAL_TEMPORARY_FAILURE, congestion 34 NORMAL_CIRCUIT_CONGESTION.
ASTERISK_DISPOSITIONS = {"ANSWERED": 16, "BUSY": 17, "NO ANSWER": 19, "FAILED": 41, "CONGESTION": 34}

#: FreeSWITCH cause names outside Q.850 (switch_types.h); FreeSWITCH reports them all as 16.
FREESWITCH_ONLY_CAUSES = frozenset({
    "SUCCESS", "ORIGINATOR_CANCEL", "CRASH", "SYSTEM_SHUTDOWN", "LOSE_RACE", "MANAGER_REQUEST",
    "BLIND_TRANSFER", "ATTENDED_TRANSFER", "ALLOTTED_TIMEOUT", "USER_CHALLENGE", "MEDIA_TIMEOUT",
    "PICKED_OFF", "USER_NOT_REGISTERED", "PROGRESS_TIMEOUT", "INVALID_GATEWAY", "GATEWAY_DOWN",
    "INVALID_URL", "INVALID_PROFILE", "NO_PICKUP", "SRTP_READ_ERROR", "BOWOUT", "BUSY_EVERYWHERE",
    "DECLINE", "DOES_NOT_EXIST_ANYWHERE", "NOT_ACCEPTABLE", "UNWANTED", "NO_IDENTITY",
    "BAD_IDENTITY_INFO", "UNSUPPORTED_CERTIFICATE", "INVALID_IDENTITY", "STALE_DATE", "REJECT_ALL",
})
#: FreeSWITCH spellings of Q.850 codes that q850.csv names differently or leaves out.
FREESWITCH_CAUSE_ALIASES = {"NONE": 0, "PRE_EMPTED": 45}

TimeReader = Callable[[str], datetime]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
#: A hangup cause that the fast path cannot resolve.
_UNKNOWN = object()

NATIVE_COLUMNS = ("uuid", "account", "caller", "callee", "start", "answer", "end", "billsec", "duration",
                  "hangup_cause", "src_ip", "provider", "switch")
NATIVE_REQUIRED = ("uuid", "account", "callee", "start", "billsec")
#: What a Master.csv may log after its 16 standard columns, in the order cdr_csv writes them.
ASTERISK_LAYOUTS = (("uniqueid",), ("userfield",), ("uniqueid", "userfield"))
#: An Asterisk channel uniqueid: `<epoch>.<sequence>`, after `<systemname>-` when one is set.
ASTERISK_UNIQUEID = re.compile(r"(?:[\w.-]+-)?\d{9,}\.\d+")
FREESWITCH_COLUMN_COUNT = 15


class ParserError(ValueError):
    """The input as a whole cannot be read (format, time zone, header): nothing was parsed."""


@dataclass(frozen=True, slots=True)
class RawCdr:
    """One call as the switch reported it, validated; not yet rated."""

    uuid: str
    account: str
    caller: str
    callee: str
    #: Aware UTC, like answer and end.
    start: datetime
    answer: datetime | None
    end: datetime | None
    billsec: int
    duration: int | None
    #: Q.850 cause code, 0..127.
    hangup_cause: int | None
    src_ip: str
    provider: str
    switch: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that was refused: its 0-based index among the data rows and why."""

    index: int
    error: str


# ---------------------------------------------------------------------------------------------------
# JSON


def parse_json_records(records: list, longest: int = MAX_SECONDS) -> list[RawCdr | Rejected]:
    """One `RawCdr` or `Rejected` per item of a JSON batch (`{"cdrs": [...]}`), in order; a billsec
    or duration above `longest` seconds rejects its record."""
    if not isinstance(records, list | tuple):
        raise ParserError(f"cdrs: must be a list of records, got {type(records).__name__}")
    return [_json_record(index, item, longest) for index, item in enumerate(records)]


def _json_record(index: int, item: object, longest: int) -> RawCdr | Rejected:
    if not isinstance(item, dict):
        return Rejected(index, f"record: must be an object with uuid, account, callee, start and billsec, "
                               f"got {_json_type(item)}")
    get = item.get
    result = _validate([], get("uuid"), get("account"), get("caller"), get("callee"), get("start"),
                       get("answer"), get("end"), get("billsec"), get("duration"), get("hangup_cause"),
                       get("src_ip"), get("provider"), get("switch"), _time_reader(UTC), longest)
    return result if type(result) is RawCdr else Rejected(index, result)


def _json_type(value: object) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", Decimal: "a number",
             str: "a string", list: "an array", tuple: "an array", dict: "an object"}
    return names.get(type(value), f"a {type(value).__name__}")


# ---------------------------------------------------------------------------------------------------
# CSV


def iter_csv(stream: TextIO, fmt: str, timezone: str = "UTC", columns: tuple[str, ...] | None = None,
             longest: int = MAX_SECONDS) -> Iterator[RawCdr | Rejected]:
    """One `RawCdr` or `Rejected` per non-blank data row of a CSV file, streamed in constant memory.

    `fmt` is one of `FORMATS`. `timezone` (an IANA name) is where the naive times of Asterisk and
    FreeSWITCH files are; native files follow the API rule that a naive time is UTC. `columns`
    (one of `ASTERISK_LAYOUTS`, see `asterisk_columns`) is what an Asterisk file logs after its 16
    standard columns; None reads it from each row's width. A billsec or duration above `longest`
    seconds rejects its row. Open the file with `newline=""` so
    quoted fields may hold line breaks, and with `errors="replace"` so a bad byte spoils one field
    rather than the rest of the file. Problems with the whole input (format, time zone, columns, a
    native file's header) raise `ParserError` here, before any row is read.
    """
    fmt_name = fmt.strip().lower() if isinstance(fmt, str) else fmt
    if fmt_name not in FORMATS:
        raise ParserError(f"format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if columns is not None and (fmt_name != "asterisk" or columns not in ASTERISK_LAYOUTS):
        raise ParserError(f"columns: only for format asterisk, one of {_layout_names()}; got {columns!r}")
    read = _time_reader(_zone(timezone))
    reader = csv.reader(stream)
    if fmt_name == "native":
        return _each_row(reader, partial(_native_row, _native_header(reader), _time_reader(UTC), longest))
    if fmt_name == "asterisk":
        return _each_row(reader, partial(_asterisk_row, read, longest, columns))
    return _each_row(reader, partial(_freeswitch_row, read, longest))


def asterisk_columns(spec: str) -> tuple[str, ...]:
    """The layout named by `uniqueid`, `userfield` or `uniqueid,userfield` (an API or CLI option),
    for the operator who knows what their cdr_csv logs and wants no guessing."""
    layout = tuple(name.strip().lower() for name in spec.split(",")) if isinstance(spec, str) else ()
    if layout not in ASTERISK_LAYOUTS:
        raise ParserError(f"columns: the Asterisk columns after amaflags, one of {_layout_names()}; got {spec!r}")
    return layout


def _layout_names() -> str:
    return ", ".join(",".join(layout) for layout in ASTERISK_LAYOUTS)


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    if not isinstance(name, str) or not name.strip():
        raise ParserError(f"timezone: must be an IANA time zone name such as Europe/London, got {name!r}")
    if name.strip() not in time_zones():
        raise ParserError(f"timezone: unknown time zone {name!r}")
    return _cached_zone(name.strip())


@cache
def _cached_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _each_row(reader, parse_row: Callable[[int, list[str]], RawCdr | Rejected]) -> Iterator[RawCdr | Rejected]:
    """`parse_row(index, row)` for each non-blank row; a row the csv module cannot read is rejected."""
    index = 0
    while True:
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                yield parse_row(index, row)
                index += 1
            return
        except csv.Error as error:  # the reader carries on with the next line
            yield Rejected(index, f"row: unreadable CSV ({error})")
            index += 1


def _native_header(reader) -> tuple[list[int | None], int]:
    """Where each of `NATIVE_COLUMNS` is in a row (None: absent), and the row width, from the header."""
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except csv.Error as error:
        raise ParserError(f"native CSV: the header row cannot be read ({error})") from error
    if header is None:
        raise ParserError("native CSV: the file is empty; it must start with a header row naming the columns "
                          f"({', '.join(NATIVE_COLUMNS)})")
    positions: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = cell.lstrip("\ufeff").strip().lower()
        if name in NATIVE_COLUMNS:
            if name in positions:
                raise ParserError(f"native CSV: column {name!r} appears twice in the header")
            positions[name] = position
    missing = [name for name in NATIVE_REQUIRED if name not in positions]
    if missing:
        raise ParserError(f"native CSV: the header lacks required column(s) {', '.join(missing)}; "
                          f"got header {','.join(header)[:200]!r}")
    return [positions.get(name) for name in NATIVE_COLUMNS], len(header)


def _native_row(header: tuple[list[int | None], int], read: TimeReader, longest: int, index: int,
                row: list[str]) -> RawCdr | Rejected:
    columns, width = header
    if len(row) != width:
        return Rejected(index, f"row: expected {width} columns like the header, got {len(row)}")
    values = ["" if position is None else row[position] for position in columns]
    cause = _cause_codes().get(values[9].strip().upper(), _UNKNOWN)
    result = None
    if cause is not _UNKNOWN:
        result = _quick(read, longest, *values[:9], cause, *values[10:])
    if result is None:
        result = _validate([], *values, read, longest)
    return result if type(result) is RawCdr else Rejected(index, result)


def _asterisk_row(read: TimeReader, longest: int, layout: tuple[str, ...] | None, index: int,
                  row: list[str]) -> RawCdr | Rejected:
    """Asterisk cdr_csv `Master.csv`: no header; uniqueid and userfield only when logged."""
    extras = _asterisk_extras(row, layout)
    if type(extras) is str:
        return Rejected(index, extras)
    uniqueid, userfield = extras
    (accountcode, src, dst, _dcontext, _clid, _channel, _dstchannel, _lastapp, _lastdata,
     start, answer, end, duration, billsec, disposition, _amaflags) = row[:16]
    uuid = uniqueid.strip() or _row_uuid(row)
    status = disposition.strip().upper()
    cause = ASTERISK_DISPOSITIONS.get(status)
    if status != "ANSWERED":
        # Some Asterisk versions write answer = start for calls nobody answered.
        answer, billsec = "", "0"
    result = None
    if cause is not None:
        result = _quick(read, longest, uuid, accountcode, src, dst, start, answer, end, billsec, duration, cause,
                        "", userfield, "")
    if result is None:
        errors = [] if cause is not None else [
            f"disposition: must be one of {', '.join(ASTERISK_DISPOSITIONS)}, got {_show(disposition)}"]
        result = _validate(errors, uuid, accountcode, src, dst, start, answer, end, billsec, duration, cause,
                           "", userfield, "", read, longest)
    return result if type(result) is RawCdr else Rejected(index, result)


def _asterisk_extras(row: list[str], layout: tuple[str, ...] | None) -> tuple[str, str] | str:
    """(uniqueid, userfield) of a row, "" where not logged; or why the row's width does not fit."""
    width = len(row)
    if layout is None:
        if width == 16:
            layout = ()
        elif width == 17:
            layout = ("uniqueid",) if ASTERISK_UNIQUEID.fullmatch(row[16].strip()) else ("userfield",)
        elif width == 18:
            layout = ("uniqueid", "userfield")
        else:
            return f"row: expected 16, 17 or 18 columns (Asterisk Master.csv), got {width}"
    elif width != 16 + len(layout):
        return (f"row: expected {16 + len(layout)} columns (Asterisk Master.csv with {','.join(layout)}), "
                f"got {width}")
    extras = dict(zip(layout, row[16:], strict=True))
    return extras.get("uniqueid", ""), extras.get("userfield", "")


def _row_uuid(row: list[str]) -> str:
    """The same row always gets the same uuid, so a file imported twice is seen as duplicates.

    Cells are joined with the unit separator; the rare row holding that character itself is hashed
    as JSON instead (which escapes it, so the two encodings never meet), or two rows differing only
    in where it sits would share a uuid.
    """
    if any("\x1f" in cell for cell in row):
        content = json.dumps(row).encode("ascii")
    else:
        content = "\x1f".join(row).encode("utf-8", "surrogatepass")
    return "ast-" + hashlib.sha256(content).hexdigest()[:32]


def _freeswitch_row(read: TimeReader, longest: int, index: int, row: list[str]) -> RawCdr | Rejected:
    """FreeSWITCH mod_cdr_csv with the default "example" template: 15 columns, no header."""
    if len(row) != FREESWITCH_COLUMN_COUNT:
        return Rejected(index, f"row: expected 15 columns (FreeSWITCH cdr_csv example template), got {len(row)}")
    (_caller_id_name, caller_id_number, destination_number, _context, start_stamp, answer_stamp, end_stamp,
     duration, billsec, hangup_cause, uuid, _bleg_uuid, accountcode, _read_codec, _write_codec) = row
    cause = _cause_codes().get(hangup_cause.strip().upper(), _UNKNOWN)
    result = None
    if cause is not _UNKNOWN:
        result = _quick(read, longest, uuid, accountcode, caller_id_number, destination_number, start_stamp,
                        answer_stamp, end_stamp, billsec, duration, cause, "", "", "")
    if result is None:
        result = _validate([], uuid, accountcode, caller_id_number, destination_number, start_stamp,
                           answer_stamp, end_stamp, billsec, duration, hangup_cause, "", "", "", read, longest)
    return result if type(result) is RawCdr else Rejected(index, result)


# ---------------------------------------------------------------------------------------------------
# Field rules, shared by every format


def _quick(read: TimeReader, longest: int, uuid: str, account: str, caller: str, callee: str, start: str,
           answer: str, end: str, billsec: str, duration: str, cause: int | None, src_ip: str, provider: str,
           switch: str) -> RawCdr | None:
    """The common case of a CSV row whose every field is well-formed, checked in a few C calls.

    None means "look closer": `_validate` then decides and says what is wrong. Whatever this
    accepts, `_validate` accepts with the same values (a property test holds them to it).
    """
    uuid, account, caller, callee = uuid.strip(), account.strip(), caller.strip(), callee.strip()
    provider, switch, billsec, duration = provider.strip(), switch.strip(), billsec.strip(), duration.strip()
    if not (0 < len(uuid) <= MAX_ID_CHARS and "/" not in uuid and 0 < len(account) <= MAX_ID_CHARS
            and len(caller) <= MAX_ID_CHARS
            and 0 < len(callee) <= MAX_ID_CHARS and len(provider) <= MAX_NAME_CHARS
            and len(switch) <= MAX_NAME_CHARS and (uuid + account + caller + callee + provider + switch).isprintable()
            and 0 < len(billsec) < 10 and billsec.isdigit() and billsec.isascii()
            and (not duration or len(duration) < 10 and duration.isdigit() and duration.isascii())):
        return None
    answer, end = answer.strip(), end.strip()
    try:
        start_at = read(start.strip())
        answer_at = read(answer) if answer else None
        end_at = read(end) if end else None
    except (ValueError, OverflowError):
        return None
    seconds = int(billsec)
    if seconds > longest or duration and int(duration) > longest:
        return None
    since = start_at if answer_at is None else answer_at
    if since < start_at or end_at is not None and (
            end_at < since or seconds > (end_at - since).total_seconds() + BILLSEC_TOLERANCE):
        return None
    if src_ip:
        src_ip = _address([], src_ip)
        if not src_ip:
            return None
    return RawCdr(uuid, account, caller, callee, start_at, answer_at, end_at, seconds,
                  int(duration) if duration else None, cause, src_ip, provider, switch)


def _validate(errors: list[str], uuid, account, caller, callee, start, answer, end, billsec, duration,
              hangup_cause, src_ip, provider, switch, read: TimeReader, longest: int) -> RawCdr | str:
    """A `RawCdr`, or every reason it cannot be one, joined in a single message.

    Values are what the input held (text, JSON numbers or None: an empty string is the same as
    absent); `errors` may already hold reasons found by the format. `read` turns times into UTC;
    `longest` bounds billsec and duration.
    """
    uuid = _text(errors, "uuid", uuid, MAX_ID_CHARS, required=True)
    if "/" in uuid:
        errors.append(f"uuid: must not contain '/' (GET /cdrs/{{uuid}} could not name it), got {_show(uuid)}")
    account = _text(errors, "account", account, MAX_ID_CHARS, required=True)
    caller = _text(errors, "caller", caller, MAX_ID_CHARS, required=False)
    callee = _text(errors, "callee", callee, MAX_ID_CHARS, required=True)
    start = _time(errors, "start", start, read, required=True)
    answer = _time(errors, "answer", answer, read, required=False)
    end = _time(errors, "end", end, read, required=False)
    billsec = _seconds(errors, "billsec", billsec, longest, required=True)
    duration = _seconds(errors, "duration", duration, longest, required=False)
    hangup_cause = _cause(errors, hangup_cause)
    src_ip = _address(errors, src_ip)
    provider = _text(errors, "provider", provider, MAX_NAME_CHARS, required=False)
    switch = _text(errors, "switch", switch, MAX_NAME_CHARS, required=False)
    if start is not None:
        _check_times(errors, start, answer, end, billsec)
    if errors:
        return "; ".join(errors)
    return RawCdr(uuid, account, caller, callee, start, answer, end, billsec, duration, hangup_cause, src_ip,
                  provider, switch)


def _check_times(errors: list[str], start: datetime, answer: datetime | None, end: datetime | None,
                 billsec: int | None) -> None:
    """start ≤ answer ≤ end, and billsec no longer than the time from answer (else start) to end."""
    if answer is not None and answer < start:
        errors.append(f"answer: must not be before start ({_iso(answer)} < {_iso(start)})")
        return
    if end is None:
        return
    if end < start:
        errors.append(f"end: must not be before start ({_iso(end)} < {_iso(start)})")
        return
    if answer is not None and end < answer:
        errors.append(f"end: must not be before answer ({_iso(end)} < {_iso(answer)})")
        return
    if billsec is not None:
        since, label = (answer, "answer") if answer is not None else (start, "start")
        seconds = (end - since).total_seconds()
        if billsec > seconds + BILLSEC_TOLERANCE:
            errors.append(f"billsec: {billsec} s is longer than the call ({seconds:g} s from {label} to end)")


def _text(errors: list[str], name: str, value, limit: int, *, required: bool) -> str:
    kind = type(value)
    if kind is int and value.bit_length() < 256:  # an account code or number sent as a JSON number
        value = str(value)
    elif kind is not str:
        if value is None:
            if required:
                errors.append(f"{name}: required")
            return ""
        errors.append(f"{name}: must be text, got {_show(value)}")
        return ""
    value = value.strip()
    if not value:
        if required:
            errors.append(f"{name}: required")
    elif len(value) > limit:
        errors.append(f"{name}: must be at most {limit} characters, got {len(value)}")
    elif not value.isprintable():
        errors.append(f"{name}: must not contain control characters, got {_show(value)}")
    return value


def _time(errors: list[str], name: str, value, read: TimeReader, *, required: bool) -> datetime | None:
    if type(value) is str:
        text = value.strip()
    elif value is None:
        text = ""
    else:
        errors.append(f"{name}: must be an ISO 8601 time such as 2026-10-05T14:03:00Z, got {_show(value)}")
        return None
    if not text:
        if required:
            errors.append(f"{name}: required")
        return None
    try:
        return read(text)
    except OutsideWindow:
        errors.append(f"{name}: must be {WINDOW}, got {_show(value)}")
    except ValueError:
        errors.append(f"{name}: must be an ISO 8601 time such as 2026-10-05T14:03:00Z, got {_show(value)}")
    return None


@cache
def _time_reader(local: tzinfo) -> TimeReader:
    """Parse a stripped time into aware UTC, a naive one being wall-clock time in `local`, if it is
    written in the years of `portal.moments` (else OutsideWindow, before any offset could carry it
    past datetime's range).

    Arithmetic from the epoch rather than `replace(tzinfo=…)`, which costs several times more and
    is paid three times a row. A naive time gets the offset of its first occurrence (fold 0).
    """
    parse = datetime.fromisoformat
    offset = local.utcoffset

    def read_utc(text: str) -> datetime:
        if len(text) <= 10:  # a date alone would read as midnight
            raise ValueError(f"not a date and time: {text!r}")
        moment = parse(text)
        if moment.year not in YEARS:
            raise OutsideWindow
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
        return _EPOCH + (moment - _NAIVE_EPOCH)

    def read_local(text: str) -> datetime:
        if len(text) <= 10:
            raise ValueError(f"not a date and time: {text!r}")
        moment = parse(text)
        if moment.year not in YEARS:
            raise OutsideWindow
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
        return _EPOCH + (moment - _NAIVE_EPOCH - offset(moment))

    return read_utc if local is UTC else read_local


def _seconds(errors: list[str], name: str, value, longest: int, *, required: bool) -> int | None:
    """A whole number of seconds from 0 to `longest`, from an int, an integral JSON number or a
    string of digits."""
    kind = type(value)
    if kind is int:
        number = value
    elif kind is str:
        text = value.strip()
        if not text:
            value = None
        elif text.isdigit() and text.isascii() and len(text) <= 19:
            number = int(text)
        else:
            number = -1
    elif value is None:
        pass
    elif kind is float or kind is Decimal:
        number = _whole(Decimal(value))
        if number is None:
            number = -1
    else:
        number = -1
    if value is None:
        if required:
            errors.append(f"{name}: required")
        return None
    if 0 <= number <= longest:
        return number
    if number > longest:
        errors.append(f"{name}: must be at most {longest} s (the longest call taken), got {_show(value)}")
    else:
        errors.append(f"{name}: must be a whole number of seconds >= 0, got {_show(value)}")
    return None


def _cause(errors: list[str], value) -> int | None:
    """A Q.850 code from a number, a string of digits or an enumeration name."""
    kind = type(value)
    if value is None:
        return None
    if kind is int:
        code = value
    elif kind is str:
        text = value.strip()
        if not text:
            return None
        if text.isdigit() and text.isascii() and len(text) <= 3:
            code = int(text)
        else:
            code = _cause_codes().get(text.upper())
    elif kind is float or kind is Decimal:
        code = _whole(Decimal(value))
    else:
        code = None
    if code is not None and 0 <= code <= 127:
        return code
    errors.append(f"hangup_cause: must be a Q.850 code 0..127 or a cause name such as NORMAL_CLEARING, "
                  f"got {_show(value)}")
    return None


@cache
def _cause_codes() -> dict[str, int | None]:
    """Every spelling of a hangup cause a switch writes → its Q.850 code ("" → None).

    Names come from the Q.850 table shipped with the app, plus FreeSWITCH's own names.
    """
    codes: dict[str, int | None] = {"": None}
    codes.update((str(code), code) for code in range(128))
    codes.update((name, 16) for name in FREESWITCH_ONLY_CAUSES)
    codes.update(FREESWITCH_CAUSE_ALIASES)
    with Q850_FILE.open(newline="", encoding="utf-8") as handle:
        codes.update((row["enumeration"].strip().upper(), int(row["code"])) for row in csv.DictReader(handle))
    return codes


def _whole(value: Decimal) -> int | None:
    """An integral number (30.0) as an int; None for fractions, infinities, NaN and numbers too
    large for any field. JSON numbers arrive as Decimals; a float from a Python caller is made an
    exact Decimal first (`Decimal(30.5)` is exactly 30.5), so no float arithmetic decides."""
    if not value.is_finite() or value.adjusted() > 18:
        return None
    number = int(value)
    return number if number == value else None


def _address(errors: list[str], value) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        errors.append(f"src_ip: must be an IPv4 or IPv6 address, got {_show(value)}")
        return ""
    text = value.strip()
    if not text:
        return ""
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        address = ""
    else:
        # One spelling per source, so watchdog quotas per IP see ::ffff:192.0.2.1 as 192.0.2.1.
        address = str(getattr(parsed, "ipv4_mapped", None) or parsed)
    if not address or len(address) > MAX_IP_CHARS or not address.isprintable():  # an IPv6 %scope may hold anything
        errors.append(f"src_ip: must be an IPv4 or IPv6 address, got {_show(value)}")
        return ""
    return address


def _show(value) -> str:
    """The offending value for an error message, cut short so one field cannot flood it."""
    kind = type(value)
    if kind is str:
        shown = repr(value[:60])
    elif kind is int and value.bit_length() > 256:
        return "a number too long to show"
    elif kind is Decimal:
        shown = str(value)
    elif value is None or kind in (bool, int, float):
        shown = repr(value)
    else:
        return _json_type(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
