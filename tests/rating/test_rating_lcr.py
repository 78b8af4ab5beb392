"""LCR routes and the cost of a call (DESIGN §3.7 and §3.8)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from portal.rating import (
    CarrierPlan,
    Gateway,
    PeakSchedule,
    Provider,
    Rate,
    RatingEngine,
    RetailLink,
    RetailPlan,
    Route,
    VoipPlan,
)

PEAK_TIME = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in London
NIGHT = datetime(2026, 6, 2, 22, 0, tzinfo=UTC)
UK = "442079460000"
LONDON_DAY = PeakSchedule("Europe/London", range(5), "08:00", "19:00")


def carrier(plan_id, name, *rates, priority=0, enabled=True, currency="GBP", peak=None, decimals=4):
    provider = Provider(plan_id, name, priority, enabled, (Gateway(f"{name}-gw", f"{name}.example", 5060, "99#"),))
    return CarrierPlan(plan_id * 10, f"{name} deck", currency, provider, decimals=decimals, peak=peak, rates=rates)


def engine(*carriers, no_loss=False, retail_price="0.10"):
    retail = RetailPlan(1, "Retail", "GBP", rates=[Rate(prefix="44", destination="UK", rate=retail_price)])
    voip = VoipPlan(1, "Plan", retail_links=[RetailLink(1)], carrier_plan_ids=[c.id for c in carriers], no_loss=no_loss)
    return RatingEngine([retail], carriers, [voip])


def names(routes):
    return [route.provider for route in routes]


def test_routes_are_ordered_by_cost_then_priority_then_name():
    routes = (
        engine(
            carrier(1, "delta", Rate(prefix="44", rate="0.02")),
            carrier(2, "charlie", Rate(prefix="44", rate="0.01"), priority=5),
            carrier(3, "bravo", Rate(prefix="44", rate="0.01"), priority=5),
            carrier(4, "alpha", Rate(prefix="44", rate="0.01"), priority=9),
            carrier(5, "echo", Rate(prefix="44", rate="0.01"), priority=1),
        )
        .lookup(1, UK, PEAK_TIME)
        .routes
    )
    assert names(routes) == ["echo", "bravo", "charlie", "alpha", "delta"]


def test_each_carrier_offers_its_exact_number_rate_else_its_longest_prefix():
    routes = (
        engine(
            carrier(1, "a", Rate(prefix="44", rate="0.001"), Rate(prefix="4420", rate="0.05")),
            carrier(2, "b", Rate(prefix="44", rate="0.04"), Rate(number=UK, rate="0.03")),
            carrier(3, "c", Rate(prefix="33", rate="0.001")),
        )
        .lookup(1, UK, PEAK_TIME)
        .routes
    )
    assert [(r.provider, r.prefix, r.cost_per_minute) for r in routes] == [
        ("b", UK, Decimal("0.03")),
        ("a", "4420", Decimal("0.05")),
    ]


def test_a_route_carries_everything_the_switch_needs():
    route = engine(carrier(1, "a", Rate(prefix="44", destination="UK", rate="0.01", connect_fee="0.02", t1=30, t2=6)))
    assert route.lookup(1, UK, PEAK_TIME).routes == (
        Route(
            provider_id=1,
            provider="a",
            gateways=(Gateway("a-gw", "a.example", 5060, "99#"),),
            carrier_plan_id=10,
            prefix="44",
            destination="UK",
            cost_per_minute=Decimal("0.01"),
            connect_fee=Decimal("0.02"),
            t1=30,
            t2=6,
            currency="GBP",
        ),
    )


def test_disabled_providers_are_left_out():
    routes = (
        engine(
            carrier(1, "off", Rate(prefix="44", rate="0.001"), enabled=False),
            carrier(2, "on", Rate(prefix="44", rate="0.02")),
        )
        .lookup(1, UK, PEAK_TIME)
        .routes
    )
    assert names(routes) == ["on"]


@pytest.mark.parametrize(("at", "order"), [(PEAK_TIME, ["flat", "peaky"]), (NIGHT, ["peaky", "flat"])])
def test_route_order_uses_each_carriers_own_peak_price(at, order):
    routes = (
        engine(
            carrier(1, "peaky", Rate(prefix="44", rate="0.01", rate_peak="0.03"), peak=LONDON_DAY),
            carrier(2, "flat", Rate(prefix="44", rate="0.02")),
        )
        .lookup(1, UK, at)
        .routes
    )
    assert names(routes) == order


@pytest.mark.parametrize(
    ("no_loss", "expected"),
    [(True, ["cheap", "equal", "dollars"]), (False, ["cheap", "equal", "dear", "dollars"])],
)
def test_no_loss_drops_routes_dearer_than_the_retail_price_in_the_same_currency(no_loss, expected):
    rates = engine(
        carrier(1, "cheap", Rate(prefix="44", rate="0.05")),
        carrier(2, "equal", Rate(prefix="44", rate="0.10")),
        carrier(3, "dear", Rate(prefix="44", rate="0.11")),
        carrier(4, "dollars", Rate(prefix="44", rate="0.12"), currency="USD"),
        no_loss=no_loss,
    )
    rating = rates.rate(1, "", UK, PEAK_TIME, 60)
    assert names(rating.routes) == expected
    assert rating.trace.get("routes_dropped_no_loss") == (["dear"] if no_loss else None)


def test_the_cost_is_the_first_routes_rate_when_the_carrier_is_not_known():
    rating = engine(
        carrier(1, "a", Rate(prefix="44", rate="0.02")),
        carrier(2, "b", Rate(prefix="44", rate="0.01", connect_fee="0.005", t1=60, t2=60)),
    ).rate(1, "", UK, PEAK_TIME, 61)
    assert (rating.provider, rating.cost, rating.cost_currency) == ("b", Decimal("0.0250"), "GBP")
    assert rating.trace["cost"]["chosen_by"] == "first LCR route"
    assert rating.trace["cost"]["billable_seconds"] == 120
    assert rating.trace["cost"]["cost_unrounded"] == "0.025"


@pytest.mark.parametrize("carried_by", ["a", 1])
def test_the_cost_is_the_carrying_providers_rate_named_by_name_or_id(carried_by):
    rating = engine(
        carrier(1, "a", Rate(prefix="44", rate="0.02")),
        carrier(2, "b", Rate(prefix="44", rate="0.01")),
    ).rate(1, "", UK, PEAK_TIME, 60, provider=carried_by)
    assert (rating.provider, rating.cost) == ("a", Decimal("0.0200"))
    assert rating.trace["cost"]["chosen_by"] == "carrying provider"


def test_a_carrying_provider_disabled_since_or_dropped_by_no_loss_still_costs_its_rate():
    rates = engine(
        carrier(1, "gone", Rate(prefix="44", rate="0.50"), enabled=False),
        carrier(2, "b", Rate(prefix="44", rate="0.01")),
        no_loss=True,
    )
    rating = rates.rate(1, "", UK, PEAK_TIME, 60, provider="gone")
    assert (rating.provider, rating.cost, names(rating.routes)) == ("gone", Decimal("0.5000"), ["b"])


def test_the_cost_uses_the_carrier_plans_own_increments_decimals_currency_and_peak():
    rating = engine(
        carrier(
            1,
            "a",
            Rate(prefix="44", rate="0.0123456", rate_peak="0.0234567", t1=30, t2=30),
            currency="USD",
            decimals=6,
            peak=LONDON_DAY,
        ),
    ).rate(1, "", UK, PEAK_TIME, 31)
    assert (rating.cost, rating.cost_currency) == (Decimal("0.023457"), "USD")
    assert rating.trace["cost"]["band"] == "peak"


@pytest.mark.parametrize(
    ("carried_by", "note"),
    [("nobody", "no carrier rate for provider nobody"), (None, "no LCR route")],
)
def test_no_carrier_rate_leaves_the_cost_unknown_but_the_call_rated(carried_by, note):
    rating = engine(carrier(1, "a", Rate(prefix="33", rate="0.01"))).rate(1, "", UK, PEAK_TIME, 60, provider=carried_by)
    assert (rating.status, rating.cost, rating.provider) == ("rated", None, None)
    assert rating.trace["cost_note"] == note


def test_an_unanswered_call_costs_nothing_at_the_carrier_either():
    rating = engine(carrier(1, "a", Rate(prefix="44", rate="0.01", connect_fee="0.10"))).rate(1, "", UK, PEAK_TIME, 0)
    assert (rating.price, rating.cost, rating.provider) == (Decimal("0.0000"), Decimal("0.0000"), "a")


def test_a_row_shared_by_two_carrier_plans_is_routed_as_each_plan_says():
    """Rows keep the routes LCR made for them; a row in two plans must not lend one plan's
    provider, gateways or currency to the other, however often it is offered."""
    shared = Rate(prefix="44", destination="UK", rate="0.01")
    routing = engine(carrier(1, "alpha", shared, priority=1), carrier(2, "bravo", shared, priority=2, currency="EUR"))
    for _ in range(3):
        routes = routing.lookup(1, UK, NIGHT).routes
        assert [(route.provider, route.gateways[0].name, route.currency) for route in routes] == [
            ("alpha", "alpha-gw", "GBP"),
            ("bravo", "bravo-gw", "EUR"),
        ]


def test_a_peak_priced_carrier_row_is_routed_at_the_price_in_force_each_time():
    """The off-peak and the peak route of a row are made once each; the answer time picks."""
    routing = engine(carrier(1, "alpha", Rate(prefix="44", rate="0.01", rate_peak="0.03"), peak=LONDON_DAY))
    for at, price in [(NIGHT, "0.01"), (PEAK_TIME, "0.03"), (NIGHT, "0.01"), (PEAK_TIME, "0.03")]:
        assert routing.lookup(1, UK, at).routes[0].cost_per_minute == Decimal(price)
