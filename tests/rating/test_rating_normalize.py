"""Dialed numbers become E.164 digits through ordered dial rules (DESIGN §3.1)."""

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from portal.rating import DialRule, choose_rules, national_rules, normalize

GB = national_rules("GB")
US = national_rules("US")
DE = national_rules("DE")
FR = national_rules("FR")


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("GB", [("+", ""), ("00", ""), ("0", "44")]),
        ("gb", [("+", ""), ("00", ""), ("0", "44")]),
        ("US", [("+", ""), ("011", ""), ("1", "1"), ("", "1")]),
        ("DE", [("+", ""), ("00", ""), ("0", "49")]),
        ("FR", [("+", ""), ("00", ""), ("0", "33")]),
        ("IT", [("+", ""), ("00", ""), ("", "39")]),
        ("AU", [("+", ""), ("0011", ""), ("0", "61")]),
    ],
)
def test_national_rules_come_from_phonenumbers_metadata(country, expected):
    assert national_rules(country) == tuple(DialRule(match, replace) for match, replace in expected)


def test_national_rules_refuse_an_unknown_country():
    with pytest.raises(ValueError, match="unknown country"):
        national_rules("XX")


@pytest.mark.parametrize(
    ("rules", "dialed", "number", "rule"),
    [
        (GB, "+44 20 7946 0000", "442079460000", "+"),
        (GB, "0044 20 7946 0000", "442079460000", "00"),
        (GB, "020 7946 0000", "442079460000", "0"),
        (GB, "(020) 7946-0000", "442079460000", "0"),
        (GB, "447911123456", "447911123456", None),
        (GB, "00 1 212 555 0123", "12125550123", "00"),
        (US, "+1 212 555 0123", "12125550123", "+"),
        (US, "011 44 20 7946 0000", "442079460000", "011"),
        (US, "1-212-555-0123", "12125550123", "1"),
        (US, "(212) 555-0123", "12125550123", ""),
        (DE, "030 1234567", "49301234567", "0"),
        (DE, "0049 30 1234567", "49301234567", "00"),
        (FR, "01 23 45 67 89", "33123456789", "0"),
        (FR, "+33 1 23 45 67 89", "33123456789", "+"),
        ((), "+44 20 7946 0000", "442079460000", None),
    ],
)
def test_the_first_matching_rule_rewrites_the_number_and_only_digits_remain(rules, dialed, number, rule):
    result = normalize(dialed, rules)
    assert result.number == number
    assert (result.rule.match if result.rule else None) == rule


def test_the_first_matching_rule_wins_even_when_a_later_one_is_longer():
    rules = (DialRule("0", "44"), DialRule("00", ""))
    assert normalize("0033123456789", rules).number == "44033123456789"


@pytest.mark.parametrize(
    "dialed",
    ["", "12", "+1", "+44 20 7946 0000 1234", "1234567890123456"],
)
def test_fewer_than_3_or_more_than_15_digits_is_an_invalid_number(dialed):
    result = normalize(dialed, ())
    assert result.number is None
    assert not 3 <= len(result.cleaned) <= 15


@pytest.mark.parametrize(
    ("rules", "dialed", "cleaned"),
    [
        ((), "4420#7946*0000", "4420#7946*0000"),
        ((), "abc", "abc"),
        ((), "*#", "*#"),
        ((), "44abc2079460000", "44abc2079460000"),
        ((), "sip:442079460000@10.0.0.1", "sip:442079460000@10001"),
        ((), "442079460000@10.0.0.1", "442079460000@10001"),
        ((), "*67442079460000", "*67442079460000"),
        ((), "442079460000#", "442079460000#"),
        ((), "++442079460000", "+442079460000"),
        ((), "44 20 7946 0000 +", "442079460000+"),
        ((), "٤٤٢٠٧٩٤٦٠٠٠٠", "٤٤٢٠٧٩٤٦٠٠٠٠"),
        ((), "４４２０７９４６００００", "４４２０７９４６００００"),
        ((), "44\t2079460000", "44\t2079460000"),
        (GB, "+44 (0) 20 7946 0000 ext 12", "4402079460000ext12"),
        ((DialRule("0", "44x"),), "02079460000", "44x2079460000"),
    ],
)
def test_anything_but_separators_and_a_leading_plus_left_after_the_rules_is_an_invalid_number(
    rules, dialed, cleaned
):
    result = normalize(dialed, rules)
    assert (result.number, result.cleaned) == (None, cleaned)


@pytest.mark.parametrize(
    ("rules", "dialed", "number"),
    [
        ((), "+44 20 7946 0000", "442079460000"),
        ((), "44-20-7946-0000", "442079460000"),
        ((), "44.20.7946.0000", "442079460000"),
        ((), "(44) 20/7946 0000", "442079460000"),
        ((), "  442079460000  ", "442079460000"),
        ((DialRule("0", "+44"),), "020 7946 0000", "442079460000"),
        ((DialRule("0", "44 "),), "020 7946 0000", "442079460000"),
    ],
)
def test_separators_and_a_leading_plus_go_after_the_rules_too(rules, dialed, number):
    assert normalize(dialed, rules).number == number


def test_3_and_15_digits_are_valid_numbers():
    assert normalize("112", ()).number == "112"
    assert normalize("123456789012345", ()).number == "123456789012345"


ACCOUNT = (DialRule("9", ""),)
PLAN = (DialRule("0", "33"),)
GLOBAL = (DialRule("0", "44"),)


@pytest.mark.parametrize(
    ("account", "plan", "global_rules", "source", "rules"),
    [
        (ACCOUNT, PLAN, GLOBAL, "account", ACCOUNT),
        ((), PLAN, GLOBAL, "voip_plan", PLAN),
        ([], [], GLOBAL, "global", GLOBAL),
        ((), (), (), None, ()),
    ],
)
def test_account_rules_else_voip_plan_rules_else_global_rules(account, plan, global_rules, source, rules):
    assert choose_rules(account, plan, global_rules) == (source, rules)


HOMES = ("GB", "US", "DE")
TARGETS = ("GB", "US", "DE", "FR", "IT", "CA", "AU", "JP", "IN", "BR")
KINDS = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
         PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP)


def dialed_from(home):
    """(as dialed from `home`, its E.164 digits) for phonenumbers' example numbers of every kind
    in several countries: the way a caller at home dials each (national format for their own
    country, with the international prefix for others) and the `+` international format."""
    for target in TARGETS:
        for kind in KINDS:
            example = phonenumbers.example_number_for_type(target, kind)
            if example is not None:
                e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)[1:]
                yield phonenumbers.format_out_of_country_calling_number(example, home), e164
                yield phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL), e164


@pytest.mark.parametrize(("home", "dialed", "e164"), [(home, *case) for home in HOMES for case in dialed_from(home)])
def test_national_rules_turn_what_a_caller_at_home_dials_into_e164(home, dialed, e164):
    assert normalize(dialed, national_rules(home)).number == e164
