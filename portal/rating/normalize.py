"""Turn a number as dialed into the E.164 digits that rate decks are keyed by.

Customers dial in their own habits (`+44…`, `0044…`, `020…`, `011…`); decks only know
international digits. Ordered rules rewrite the front of the dialed string, then everything that
is not a digit goes, so one deck serves every dialing habit.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from phonenumbers import PhoneMetadata

MIN_DIGITS = 3
MAX_DIGITS = 15

#: Characters people write between digits that nobody actually dials.
_FORMATTING = re.compile(r"[\s\-.()/]")
_NON_DIGITS = re.compile(r"[^0-9]")


@dataclass(frozen=True, slots=True)
class DialRule:
    """Replace `match` at the start of the dialed string with `replace`.

    An empty `match` matches every number: it is how a national number without any prefix (a
    10-digit NANP number) gets its country code.
    """

    match: str
    replace: str

    def __post_init__(self) -> None:
        if not isinstance(self.match, str) or not isinstance(self.replace, str):
            raise TypeError("a dial rule's match and replace are strings")

    def as_dict(self) -> dict[str, str]:
        return {"match": self.match, "replace": self.replace}


class Normalized(NamedTuple):
    """The outcome of normalization; `number` is None when the digits are not a valid number."""

    number: str | None
    digits: str
    rule: DialRule | None
    rules_from: str | None


def choose_rules(
    account: Sequence[DialRule], voip_plan: Sequence[DialRule], global_rules: Sequence[DialRule]
) -> tuple[str | None, tuple[DialRule, ...]]:
    """The rule set in force and where it came from: the most specific one that is not empty.

    Sets replace each other rather than merge, so a customer's own rules are never second-guessed
    by a plan-wide rule that happens to match first.
    """
    for source, rules in (("account", account), ("voip_plan", voip_plan), ("global", global_rules)):
        if rules:
            return source, tuple(rules)
    return None, ()


def normalize(dialed: str, rules: Sequence[DialRule], rules_from: str | None = None) -> Normalized:
    """Apply the first matching rule to the dialed string, keep the digits, check the length.

    Rules see the string as dialed, less surrounding blanks and the separators people write
    between digits (spaces, `-`, `.`, `(`, `)`, `/`), so `(020) 7946` meets the `0` rule.
    `rules_from` is carried into the result for the trace.
    """
    text = dialed.strip()
    if not (text.isascii() and (text.isdigit() or (text[:1] == "+" and text[1:].isdigit()))):
        text = _FORMATTING.sub("", text)  # most numbers arrive clean and skip this
    applied = None
    for rule in rules:
        if text.startswith(rule.match):
            text = rule.replace + text[len(rule.match) :]
            applied = rule
            break
    digits = digits_only(text)
    valid = MIN_DIGITS <= len(digits) <= MAX_DIGITS
    # tuple.__new__ skips the NamedTuple constructor, a Python function of its own: once per call.
    return tuple.__new__(Normalized, (digits if valid else None, digits, applied, rules_from))


def digits_only(text: str) -> str:
    """The ASCII digits of `text`, in order."""
    return text if text.isascii() and text.isdigit() else _NON_DIGITS.sub("", text)


def national_rules(country_iso2: str) -> tuple[DialRule, ...]:
    """Dial rules that turn the numbers a caller in this country dials into E.164 digits.

    `+` and the international prefix are dropped; the national (trunk) prefix becomes the country
    code. Where there is no trunk prefix (Italy) or it is the country code itself (NANP: `1`), a
    number dialed without any prefix is national, so a last catch-all rule adds the country code;
    NANP keeps `1…` as it is first so the catch-all does not double it. Elsewhere a number without
    prefix is taken to be international already, as VoIP users commonly dial it.
    """
    metadata = PhoneMetadata.metadata_for_region(country_iso2.upper())
    if metadata is None:
        raise ValueError(f"unknown country: {country_iso2!r}")
    code = str(metadata.country_code)
    rules = [DialRule("+", "")]
    international = _plain_prefix(metadata.preferred_international_prefix) or _plain_prefix(
        metadata.international_prefix
    )
    if international:
        rules.append(DialRule(international, ""))
    trunk = metadata.national_prefix
    if trunk and trunk != code:
        rules.append(DialRule(trunk, code))
    else:
        if trunk:
            rules.append(DialRule(trunk, trunk))
        rules.append(DialRule("", code))
    return tuple(rules)


def _plain_prefix(pattern: str | None) -> str | None:
    """A prefix from phonenumbers metadata if it is plain digits (`~` is 'wait for dial tone')."""
    if pattern is None:
        return None
    prefix = pattern.replace("~", "")
    return prefix if prefix.isascii() and prefix.isdigit() else None
