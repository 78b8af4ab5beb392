"""Rating a call end to end: normalize, ban, retail rate, increments, price (DESIGN §3.1–3.6)."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.rating import (
    BANNED,
    INVALID_NUMBER,
    NO_RATE,
    RATED,
    CarrierPlan,
    DialRule,
    PeakSchedule,
    Provider,
    Rate,
    RatingEngine,
    RetailLink,
    RetailPlan,
    TariffError,
    UnknownVoipPlan,
    VoipPlan,
    national_rules,
)
from portal.rating.increments import charge
from portal.rating.money import quantum
from portal.rating.trace import text

AT = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
SWITCH = datetime(2026, 7, 1, tzinfo=UTC)
UK = "442079460000"


def prefix(key, price, **fields):
    return Rate(prefix=key, destination=f"dest {key}", rate=price, **fields)


def number(key, price, **fields):
    return Rate(number=key, destination=f"number {key}", rate=price, **fields)


def engine(*links, retail=(), ban_prefixes=(), dial_rules=(), global_dial_rules=(), carriers=()):
    """One VoIP plan (id 1) over the given retail plans; each link is (plan id, caller prefix, priority)."""
    voip = VoipPlan(
        1,
        "Plan",
        retail_links=[RetailLink(plan_id, caller, priority) for plan_id, caller, priority in links],
        carrier_plan_ids=[plan.id for plan in carriers],
        ban_prefixes=ban_prefixes,
        dial_rules=dial_rules,
    )
    return RatingEngine(retail, carriers, [voip], global_dial_rules=global_dial_rules)


def plan(plan_id, *rates, currency="GBP", decimals=4):
    return RetailPlan(plan_id, f"Retail {plan_id}", currency, decimals=decimals, rates=rates)


SIMPLE = engine(
    (1, "", 0),
    retail=[plan(1, prefix("44", "0.60", t1=10, t2=6), prefix("4420", "0.30"), number(UK, "1.20"))],
    ban_prefixes=["44909", "1900"],
    dial_rules=national_rules("GB"),
)


@pytest.mark.parametrize(
    ("callee", "status", "matched"),
    [
        ("+44 20 7946 0000", RATED, UK),
        ("020 7946 0001", RATED, "4420"),
        ("0044 161 496 0000", RATED, "44"),
        ("0909 123 4567", BANNED, None),
        ("+1 900 555 0123", BANNED, None),
        ("+44 90 812 3456", RATED, "44"),
        ("+33 1 23 45 67 89", NO_RATE, None),
        ("12", INVALID_NUMBER, None),
        ("+44 20 7946 0000 12345", INVALID_NUMBER, None),
        ("4420#7946*0000", INVALID_NUMBER, None),
        ("44abc2079460000", INVALID_NUMBER, None),
        ("sip:442079460000@10.0.0.1", INVALID_NUMBER, None),
    ],
)
def test_normalize_then_ban_then_exact_number_else_longest_prefix(callee, status, matched):
    rating = SIMPLE.rate(1, "", callee, AT, 30)
    assert rating.status == status
    assert rating.trace["status"] == status
    assert (rating.destination.prefix if rating.destination else None) == matched


def test_a_banned_number_names_the_ban_prefix_and_is_not_priced():
    rating = SIMPLE.rate(1, "", "00 1 900 555 0123", AT, 30)
    assert (rating.number, rating.price, rating.trace["ban_prefix"]) == ("19005550123", None, "1900")


@pytest.mark.parametrize(
    ("callee", "cleaned"),
    [("+12", "12"), ("4420#7946*0000", "4420#7946*0000"), ("sip:442079460000@10.0.0.1", "sip:442079460000@10001")],
)
def test_an_invalid_number_keeps_what_was_left_of_it_in_the_trace(callee, cleaned):
    rating = SIMPLE.rate(1, "", callee, AT, 30)
    assert (rating.status, rating.number, rating.trace["cleaned"]) == (INVALID_NUMBER, None, cleaned)


@pytest.mark.parametrize(
    ("billsec", "billable", "price"),
    [(0, 0, "0.0000"), (1, 10, "0.1000"), (10, 10, "0.1000"), (30, 34, "0.3400"), (31, 34, "0.3400")],
)
def test_increments_and_price_of_a_rated_call(billsec, billable, price):
    rating = SIMPLE.rate(1, "", "+44 161 496 0000", AT, billsec)
    assert (rating.billable_seconds, rating.price, rating.currency) == (billable, Decimal(price), "GBP")


def test_an_unanswered_call_costs_nothing_even_with_a_connect_fee():
    rates = engine((1, "", 0), retail=[plan(1, prefix("44", "0.60", connect_fee="0.25"))])
    rating = rates.rate(1, "", UK, AT, 0)
    assert (rating.status, rating.billable_seconds, rating.price) == (RATED, 0, Decimal("0.0000"))


@pytest.mark.parametrize("decimals", [0, 4, 10])
def test_an_unanswered_call_is_the_plans_rounded_zero_in_price_cost_and_trace(decimals):
    """Unanswered calls skip the arithmetic; the answer must be what the arithmetic gives."""
    provider = Provider(7, "carrier")
    carrier = CarrierPlan(70, "Carrier", "GBP", provider, decimals=decimals, rates=[prefix("44", "0.5", connect_fee="1")])
    rates = engine(
        (1, "", 0), retail=[plan(1, prefix("44", "0.60", connect_fee="0.25"), decimals=decimals)], carriers=[carrier]
    )
    rating = rates.rate(1, "", UK, AT, 0)
    zero = charge(Decimal("0.60"), Decimal("0.25"), 0, quantum(decimals))[1]
    assert (str(rating.price), str(rating.cost)) == (str(zero), str(zero))
    expected = {"billable_seconds": 0, "decimals": decimals, "currency": "GBP"}
    assert rating.trace | {"price_unrounded": "0", "price": text(zero), **expected} == rating.trace
    assert rating.trace["cost"] | {"cost_unrounded": "0", "cost": text(zero), **expected} == rating.trace["cost"]


def test_the_connect_fee_is_charged_on_an_answered_call():
    rates = engine((1, "", 0), retail=[plan(1, prefix("44", "0.60", connect_fee="0.25"))])
    assert rates.rate(1, "", UK, AT, 60).price == Decimal("0.8500")


def test_the_price_is_rounded_to_the_plans_decimals():
    rates = engine((1, "", 0), retail=[plan(1, prefix("44", "0.01"), decimals=2)])
    rating = rates.rate(1, "", UK, AT, 30)
    assert (rating.price, rating.trace["price_unrounded"], rating.trace["decimals"]) == (Decimal("0.01"), "0.005", 2)


A_CONDITIONED = plan(1, prefix("33", "0.02"))
B_OPEN = plan(2, prefix("33", "0.03"), prefix("331", "0.04"))


@pytest.mark.parametrize(
    ("links", "caller", "callee", "plan_id", "price"),
    [
        # Caller-prefix condition: A only for callers starting 44.
        (((1, "44", 0), (2, "", 1)), "+44 20 7123 4567", "33212345678", 1, "0.02"),
        (((1, "44", 0), (2, "", 1)), "12125550123", "33212345678", 2, "0.03"),
        (((1, "44", 0),), "12125550123", "33212345678", None, None),
        # A caller that is not a number (a SIP URI, letters) meets no condition.
        (((1, "44", 0), (2, "", 1)), "sip:442071234567@10.0.0.1", "33212345678", 2, "0.03"),
        (((1, "44", 0), (2, "", 1)), "44abc", "33212345678", 2, "0.03"),
        # A longer prefix beats a better priority.
        (((1, "", 0), (2, "", 1)), "", "33123456789", 2, "0.04"),
        # Same prefix: the lower link priority wins even when dearer...
        (((1, "", 1), (2, "", 0)), "", "33212345678", 2, "0.03"),
        # ...and on equal priority the lower rate wins, never the dearer one.
        (((2, "", 0), (1, "", 0)), "", "33212345678", 1, "0.02"),
    ],
)
def test_retail_plan_selection_by_caller_condition_prefix_length_priority_then_lower_rate(
    links, caller, callee, plan_id, price
):
    rating = engine(*links, retail=[A_CONDITIONED, B_OPEN]).rate(1, caller, callee, AT, 60)
    if plan_id is None:
        assert rating.status == NO_RATE
        return
    assert rating.trace["retail_plan"]["id"] == plan_id
    assert rating.price == Decimal(price)


def test_an_exact_number_rule_in_any_plan_beats_every_prefix():
    exact_in_low_priority = plan(3, number("33123456789", "0.50"))
    rates = engine((2, "", 0), (3, "", 9), retail=[B_OPEN, exact_in_low_priority])
    rating = rates.rate(1, "", "33123456789", AT, 60)
    assert (rating.trace["match"], rating.destination.prefix, rating.price) == (
        "exact",
        "33123456789",
        Decimal("0.5000"),
    )


EXACT = "33123456789"
EXACT_DEAR = plan(5, number(EXACT, "0.50"), prefix("33", "0.01"))
EXACT_CHEAP = plan(6, number(EXACT, "0.40"))


@pytest.mark.parametrize(
    ("links", "plan_id", "price"),
    [
        # Both plans have the exact number: the lower link priority wins even when dearer...
        (((5, "", 0), (6, "", 1)), 5, "0.5000"),
        (((5, "", 1), (6, "", 0)), 6, "0.4000"),
        # ...and on equal priority the lower rate, whichever plan is linked first.
        (((5, "", 0), (6, "", 0)), 6, "0.4000"),
        (((6, "", 0), (5, "", 0)), 6, "0.4000"),
        # A plan whose caller condition the caller does not meet takes no part.
        (((5, "", 0), (6, "1", 0)), 5, "0.5000"),
    ],
)
def test_exact_number_rules_in_two_linked_plans_go_to_the_lower_priority_then_the_lower_rate(links, plan_id, price):
    rating = engine(*links, retail=[EXACT_DEAR, EXACT_CHEAP]).rate(1, "442071234567", EXACT, AT, 60)
    assert (rating.trace["match"], rating.trace["retail_plan"]["id"], rating.price) == ("exact", plan_id, Decimal(price))


LONDON_DAY = PeakSchedule("Europe/London", range(5), "08:00", "19:00")
PEAK_AT = AT  # Tuesday 11:00 in London
OFF_PEAK_AT = AT + timedelta(hours=10)  # Tuesday 21:00 in London


def peak_plan(plan_id, *rates, peak=LONDON_DAY):
    return RetailPlan(plan_id, f"Retail {plan_id}", "GBP", peak=peak, rates=rates)


@pytest.mark.parametrize(
    ("retail", "at", "plan_id", "price", "band"),
    [
        # Equal off-peak rates: in peak the peak prices decide.
        ([peak_plan(7, prefix("33", "0.02", rate_peak="0.09")), peak_plan(8, prefix("33", "0.02", rate_peak="0.05"))],
         PEAK_AT, 8, "0.0500", "peak"),
        # Off-peak the tie stays a tie (same rate, same fee): the plan linked first.
        ([peak_plan(7, prefix("33", "0.02", rate_peak="0.09")), peak_plan(8, prefix("33", "0.02", rate_peak="0.05"))],
         OFF_PEAK_AT, 7, "0.0200", "off-peak"),
        # Cheaper off-peak but dearer in peak: each band has its own winner.
        ([peak_plan(7, prefix("33", "0.01", rate_peak="0.09")), peak_plan(8, prefix("33", "0.02", rate_peak="0.05"))],
         PEAK_AT, 8, "0.0500", "peak"),
        ([peak_plan(7, prefix("33", "0.01", rate_peak="0.09")), peak_plan(8, prefix("33", "0.02", rate_peak="0.05"))],
         OFF_PEAK_AT, 7, "0.0100", "off-peak"),
        # A plan without a schedule competes with its one price.
        ([peak_plan(7, prefix("33", "0.04"), peak=None), peak_plan(8, prefix("33", "0.02", rate_peak="0.05"))],
         PEAK_AT, 7, "0.0400", "off-peak"),
    ],
)
def test_a_tie_on_prefix_and_priority_compares_the_price_in_force_peak_included(retail, at, plan_id, price, band):
    rating = engine((7, "", 0), (8, "", 0), retail=retail).rate(1, "", "33212345678", at, 60)
    assert (rating.trace["retail_plan"]["id"], rating.price, rating.trace["band"]) == (plan_id, Decimal(price), band)


@pytest.mark.parametrize(("at", "price", "band"), [(PEAK_AT, "0.0300", "peak"), (OFF_PEAK_AT, "0.0100", "off-peak")])
def test_two_rows_of_one_plan_for_one_prefix_tie_on_the_price_in_force(at, price, band):
    rates = engine((7, "", 0), retail=[peak_plan(7, prefix("33", "0.01", rate_peak="0.10"),
                                                 prefix("33", "0.02", rate_peak="0.03"))])
    rating = rates.rate(1, "", "33212345678", at, 60)
    assert (rating.price, rating.trace["band"]) == (Decimal(price), band)


def test_rates_in_effect_at_the_answer_time_are_the_only_eligible_ones():
    rates = engine(
        (1, "", 0),
        retail=[plan(1, prefix("44", "0.20", effective_to=SWITCH), prefix("44", "0.10", effective_from=SWITCH))],
    )
    assert rates.rate(1, "", UK, SWITCH - timedelta(seconds=1), 60).price == Decimal("0.2000")
    assert rates.rate(1, "", UK, SWITCH, 60).price == Decimal("0.1000")


def test_a_deck_that_is_not_yet_in_effect_gives_no_rate():
    rates = engine((1, "", 0), retail=[plan(1, prefix("44", "0.10", effective_from=SWITCH))])
    assert rates.rate(1, "", UK, AT, 60).status == NO_RATE


@pytest.mark.parametrize(
    ("account_rules", "expected_from", "number_"),
    [
        ((DialRule("9", ""),), "account", "442079460000"),
        ((), "voip_plan", "33442079460000"),
    ],
)
def test_account_dial_rules_replace_the_voip_plans_which_replace_the_global_ones(account_rules, expected_from, number_):
    rates = engine(
        (1, "", 0),
        retail=[plan(1, prefix("44", "0.10"), prefix("33", "0.20"))],
        dial_rules=[DialRule("9", "33")],
        global_dial_rules=[DialRule("9", "1")],
    )
    rating = rates.rate(1, "", "9442079460000", AT, 60, account_dial_rules=account_rules)
    assert (rating.trace["dial_rules_from"], rating.number) == (expected_from, number_)


def test_global_dial_rules_apply_when_neither_account_nor_plan_has_any():
    rates = engine((1, "", 0), retail=[plan(1, prefix("44", "0.10"))], global_dial_rules=national_rules("GB"))
    rating = rates.rate(1, "", "020 7946 0000", AT, 60)
    assert (rating.trace["dial_rules_from"], rating.trace["dial_rule"], rating.number) == (
        "global",
        {"match": "0", "replace": "44"},
        UK,
    )


def test_the_trace_says_why_the_call_cost_what_it_did():
    rating = SIMPLE.rate(1, "07700 900123", "0161 496 0000", AT, 30)
    assert rating.trace == {
        "voip_plan": {"id": 1, "name": "Plan"},
        "billsec": 30,
        "dialed": "0161 496 0000",
        "dial_rules_from": "voip_plan",
        "dial_rule": {"match": "0", "replace": "44"},
        "number": "441614960000",
        "retail_plan": {"id": 1, "name": "Retail 1"},
        "match": "prefix",
        "prefix": "44",
        "destination": "dest 44",
        "rate": "0.60",
        "connect_fee": "0",
        "t1": 10,
        "t2": 6,
        "band": "off-peak",
        "band_reason": "no peak schedule",
        "billable_seconds": 34,
        "price_unrounded": "0.34",
        "price": "0.3400",
        "decimals": 4,
        "currency": "GBP",
        "cost": None,
        "cost_note": "no LCR route",
        "status": "rated",
    }
    assert json.loads(json.dumps(rating.trace)) == rating.trace


def test_an_unknown_voip_plan_raises_rather_than_rating_the_call_no_rate():
    with pytest.raises(UnknownVoipPlan):
        SIMPLE.rate(99, "", UK, AT, 30)


@pytest.mark.parametrize(("billsec", "error"), [(-1, ValueError), (1.5, TypeError)])
def test_billsec_is_a_whole_non_negative_number(billsec, error):
    with pytest.raises(error):
        SIMPLE.rate(1, "", UK, AT, billsec)


PROVIDER = Provider(1, "Carrier")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: engine((7, "", 0), retail=[plan(1)]), "unknown retail plan 7"),
        (lambda: engine((1, "", 0), retail=[plan(1), plan(1)]), "two retail plans have id 1"),
        (
            lambda: engine((1, "", 0), (2, "", 0), retail=[plan(1), plan(2, currency="EUR")]),
            r"retail plans in \['EUR', 'GBP'\]",
        ),
        (
            lambda: RatingEngine([], [], [VoipPlan(1, "Plan", carrier_plan_ids=[5])]),
            "unknown carrier plan 5",
        ),
        (lambda: RatingEngine([], [], [], max_call_seconds=0), "max_call_seconds"),
        (lambda: RetailPlan(1, "R", "pounds"), "currency"),
        (lambda: RetailPlan(1, "R", "GBP", decimals=11), "decimals"),
        (lambda: CarrierPlan(1, "C", "GBP", PROVIDER, decimals=-1), "decimals"),
        (lambda: RetailLink(1, caller_prefix="+44"), "caller_prefix"),
        (lambda: RetailLink(1, caller_prefix="٤٤"), "caller_prefix"),
        (lambda: RetailLink(1, priority=None), "priority"),
        (lambda: VoipPlan(1, "P", ban_prefixes=["19x"]), "ban prefix"),
        (lambda: VoipPlan(1, "P", ban_prefixes=["١٩٠٠"]), "ban prefix"),
    ],
)
def test_tariffs_that_do_not_fit_together_are_refused_when_the_engine_is_built(build, message):
    with pytest.raises(TariffError, match=message):
        build()


US = national_rules("US")


@pytest.mark.parametrize(
    ("caller", "account_rules", "plan_rules", "rule", "caller_number", "plan_id"),
    [
        # A UK customer's caller ID in national format meets the UK callers' condition...
        ("07700 900123", national_rules("GB"), (), {"match": "0", "replace": "44"}, "447700900123", 1),
        ("(020) 7123-4567", national_rules("GB"), (), {"match": "0", "replace": "44"}, "442071234567", 1),
        ("0044 20 7123 4567", national_rules("GB"), (), {"match": "00", "replace": ""}, "442071234567", 1),
        ("+44 20 7123 4567", (), (), None, "442071234567", 1),
        # ...with the rules the callee gets: the account's, else the VoIP plan's.
        ("07700 900123", (), national_rules("GB"), {"match": "0", "replace": "44"}, "447700900123", 1),
        ("07700 900123", (DialRule("0", "33"),), national_rules("GB"), {"match": "0", "replace": "33"},
         "337700900123", 2),
        # Without rules a national number is only its digits, and meets no country's condition.
        ("07700 900123", (), (), None, "07700900123", 2),
        # A caller in international digits already is left as it is.
        ("12125550123", national_rules("GB"), (), None, "12125550123", 3),
        # A NANP caller dialing 10 digits gets its country code like a callee.
        ("(212) 555-0123", (), US, {"match": "", "replace": "1"}, "12125550123", 3),
        # Not a number: no condition is met, and the trace says so.
        ("sip:07700900123@10.0.0.1", national_rules("GB"), (), None, None, 2),
        ("anonymous", national_rules("GB"), (), None, None, 2),
        ("٤٤٢٠٧٩٤٦", national_rules("GB"), (), None, None, 2),
        ("12", (), (), None, None, 2),
        (None, national_rules("GB"), (), None, None, 2),
    ],
)
def test_the_caller_is_normalized_with_the_callees_dial_rules_before_caller_conditions(
    caller, account_rules, plan_rules, rule, caller_number, plan_id
):
    nanp = plan(3, prefix("33", "0.01"))
    rates = engine((1, "44", 0), (3, "1", 0), (2, "", 1), retail=[A_CONDITIONED, B_OPEN, nanp], dial_rules=plan_rules)
    rating = rates.rate(1, caller, "+33 2 12 34 56 78", AT, 60, account_dial_rules=account_rules)
    assert rating.trace["caller"] == caller
    assert rating.trace["caller_dial_rule"] == rule
    assert rating.trace["caller_number"] == caller_number
    assert rating.trace["retail_plan"]["id"] == plan_id
    authorization = rates.authorize(1, caller, "+33 2 12 34 56 78", AT, "10", account_dial_rules=account_rules)
    assert authorization.trace["caller_number"] == caller_number


def test_the_caller_is_left_out_of_the_trace_when_no_linked_plan_has_a_caller_condition():
    rating = engine((2, "", 0), retail=[B_OPEN]).rate(1, "07700 900123", "33212345678", AT, 60)
    assert {"caller", "caller_dial_rule", "caller_number"}.isdisjoint(rating.trace)


def test_a_missing_caller_meets_only_unconditioned_retail_plans():
    rates = engine((1, "44", 0), (2, "", 1), retail=[A_CONDITIONED, B_OPEN])
    assert rates.rate(1, None, "33212345678", AT, 60).trace["retail_plan"]["id"] == 2


def test_missing_names_and_conditions_from_the_database_read_as_empty():
    assert RetailLink(1, None).caller_prefix == ""
    assert Rate(prefix="44", destination=None, rate="0.01").destination == ""
