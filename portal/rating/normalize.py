"""Turn a number as dialed into the E.164 digits that rate decks are keyed by.

Customers dial in their own habits (`+44…`, `0044…`, `020…`, `011…`); decks only know
international digits. Ordered rules rewrite the front of the dialed string; what people write
between digits and a leading `+` then go, and anything else left (letters, `*`, `#`, a SIP URI's
`sip:` and `@host`) makes the number invalid rather than being dropped: dropping it would rate a
different number than the one dialed.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from phonenumbers import PhoneMetadata

MIN_DIGITS = 3
MAX_DIGITS = 15

#: Characters people write between digits that nobody actually dials.
_SEPARATORS = re.compile(r"[ \-.()/]")
#: Whether a string is ASCII digits only (`isdigit()` would also take other scripts' digits,
#: such as "٤٤", which no switch dials); bound once, as it runs for every call.
_is_digits = re.compile("[0-9]+").fullmatch


@dataclass(frozen=True, slots=True)
class DialRule:
    """Replace `match` at the start of the dialed string with `replace`.

    An empty `match` matches every number: it is how a national number without any prefix (a
    10-digit NANP number) gets its country code.
    """

    match: str
    replace: str
    #: `as_dict()` made once, for the traces of the calls the rule applies to (which share it).
    trace: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.match, str) or not isinstance(self.replace, str):
            raise TypeError("a dial rule's match and replace are strings")
        object.__setattr__(self, "trace", self.as_dict())

    def as_dict(self) -> dict[str, str]:
        return {"match": self.match, "replace": self.replace}


class Normalized(NamedTuple):
    """The outcome of normalization; `number` is None when `cleaned` is not a valid number.

    `cleaned` is the dialed string after its rule, without separators and a leading `+`.
    """

    number: str | None
    cleaned: str
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
    """Apply the first matching rule to the dialed string, then check what is left is a number.

    Rules see the string as dialed, less surrounding blanks and the separators people write
    between digits (spaces, `-`, `.`, `(`, `)`, `/`), so `(020) 7946` meets the `0` rule. After
    the rule only a leading `+` may go; the rest must be 3 to 15 ASCII digits.
    `rules_from` is carried into the result for the trace.
    """
    return Normalized(*normalized(dialed, rules), rules_from)


def normalized(dialed: str, rules: Sequence[DialRule]) -> tuple[str | None, str, DialRule | None]:
    """`normalize` as a plain (number, cleaned, rule) tuple, for the engine: once per call."""
    text = dialed.strip()
    if not (text.isascii() and (text.isdigit() or (text[:1] == "+" and text[1:].isdigit()))):
        text = _SEPARATORS.sub("", text)  # most numbers arrive clean and skip this
    applied = None
    for rule in rules:
        if text.startswith(rule.match):
            text = rule.replace + text[len(rule.match) :]
            applied = rule
            break
    if text.isascii() and text.isdigit():  # ASCII digits only already, as most numbers are
        cleaned, valid = text, MIN_DIGITS <= len(text) <= MAX_DIGITS
    else:
        cleaned = _without_separators(text)
        valid = MIN_DIGITS <= len(cleaned) <= MAX_DIGITS and _is_digits(cleaned) is not None
    return cleaned if valid else None, cleaned, applied


def _without_separators(text: str) -> str:
    """`text` less the separators people write and a leading `+`."""
    text = _SEPARATORS.sub("", text)
    return text[1:] if text[:1] == "+" else text


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
    return prefix if _is_digits(prefix) else None
