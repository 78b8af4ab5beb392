"""Plans' included minutes: used in call order, once, only by calls to their prefixes; the overflow
is rated normally and each call's trace says what happened."""
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal.extensions import db
from portal.invoicing.bundles import Allowance, Call, allocate
from portal.invoicing.pending import open_month_bundle
from portal.invoicing.products import assign_plan, create_plan
from portal.ledger.verify import verify
from portal.models import Account, Cdr, LedgerTransaction
from tests.invoicing.conftest import DE_MOBILE, UK_FIXED, UK_MOBILE, at, customer_movement, invoice_of

PREFIXES = ("44", "447", "49")
calls_strategy = st.lists(st.builds(
    Call, id=st.integers(1, 10 ** 6), number=st.sampled_from(["447700900123", "442071234567", "4915112345678"]),
    billable_seconds=st.integers(0, 3600), price=st.just(Decimal(0)),
    per_minute=st.decimals("0.0001", "1.0000", places=4), decimals=st.just(4),
).map(lambda call: call._replace(price=(call.per_minute * call.billable_seconds / 60).quantize(Decimal("0.0001")))),
    max_size=40, unique_by=lambda call: call.id)
allowances_strategy = st.lists(st.builds(
    Allowance, key=st.integers(1, 10 ** 6), prefixes=st.lists(st.sampled_from(PREFIXES), max_size=2).map(tuple),
    seconds=st.one_of(st.none(), st.integers(0, 7200))), max_size=3, unique_by=lambda allowance: allowance.key)


@given(calls_strategy, allowances_strategy)
def test_included_minutes_are_used_once_in_call_order_and_never_over_the_allowance(calls, allowances):
    coverage = allocate(calls, allowances)
    by_call = {c.call_id: c for c in coverage}
    assert len(by_call) == len(coverage)  # a call is covered at most once
    calls_by_id = {call.id: call for call in calls}
    for allowance in allowances:
        used = [c for c in coverage if c.allowance == allowance.key]
        if allowance.seconds is not None:
            assert sum(c.covered_seconds for c in used) <= allowance.seconds
        for c in used:
            assert allowance.matches(calls_by_id[c.call_id].number)
    for c in coverage:
        call = calls_by_id[c.call_id]
        assert c.covered_seconds + c.overflow_seconds == call.billable_seconds
        assert Decimal(0) <= c.credit <= call.price and c.credit + c.price_after == call.price
        if c.covered_seconds == 0:
            assert c.price_after == call.price
    # In call order: once a limited plan fell short for a call, no later call gets its minutes.
    for allowance in (a for a in allowances if a.seconds is not None):
        seen_short = False
        for call in calls:
            c = by_call.get(call.id)
            if c is None or c.allowance != allowance.key:
                continue
            assert not (seen_short and c.covered_seconds)
            seen_short = seen_short or c.overflow_seconds > 0


def test_an_unlimited_plan_covers_every_matching_call_in_full():
    calls = [Call(1, "447700900123", 600, Decimal("0.6"), Decimal("0.06"), 4),
             Call(2, "4915112345678", 60, Decimal("0.07"), Decimal("0.07"), 4)]
    assert [(c.call_id, c.credit, c.price_after) for c in allocate(calls, [Allowance(9, ("44",), None)])] == [
        (1, Decimal("0.6"), Decimal(0))]


def _plan(app, account_code, minutes, prefixes=("447",), unlimited=False, starts_on=date(2025, 10, 1)):
    with app.app_context():
        plan = create_plan(f"Mobile {minutes}", "EUR", Decimal("5.00"), included_minutes=minutes, prefixes=prefixes,
                           unlimited=unlimited)
        assign_plan(db.session.scalar(select(Account).where(Account.code == account_code)), plan, starts_on)
        db.session.commit()


def test_bundle_minutes_are_used_once_in_call_order_and_the_overflow_is_rated_normally(app, make_account,
                                                                                       make_calls, close):
    make_account("MOB")
    _plan(app, "MOB", 10)
    # In call order: 6 min, 3 min, 5 min (1 min covered, 4 min overflow), 2 min (none left); fixed lines
    # are not in the plan. The CDRs arrive out of order.
    make_calls("MOB", [(at("2025-10-20 09:00"), UK_MOBILE, 120), (at("2025-10-03 09:00"), UK_MOBILE, 360),
                       (at("2025-10-04 09:00"), UK_FIXED, 600), (at("2025-10-10 09:00"), UK_MOBILE, 300)])
    make_calls("MOB", [(at("2025-10-05 09:00"), UK_MOBILE, 180)])
    close()
    with app.app_context():
        traces = {cdr.start.day: cdr.trace.get("bundle") for cdr in db.session.scalars(select(Cdr))}
        assert traces[4] is None
        assert [(traces[day]["covered_seconds"], traces[day]["overflow_seconds"], traces[day]["price_after"])
                for day in (3, 5, 10, 20)] == [(360, 0, "0"), (180, 0, "0"), (60, 240, "0.24"),
                                               (0, 120, "0.12")]
        assert "overflow is rated normally" in traces[10]["note"] and "used up" in traces[20]["note"]
        invoice = invoice_of("MOB")
        lines = {line.description: line.amount for line in invoice.lines}
        # Mobile: 16 min at 0.06 = 0.96 charged, of which 10 min (0.60) included.
        assert lines["United Kingdom Mobile (+447): 4 calls"] == Decimal("0.96")
        assert lines["Mobile 10: included minutes, 10.00 of 10 min on 3 calls"] == Decimal("-0.60")
        assert lines["Mobile 10: monthly fee, October 2025"] == Decimal("5.00")
        assert invoice.subtotal == Decimal("0.96") - Decimal("0.60") + Decimal("5.00") + Decimal("0.20")
        credit = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.invoice_id == invoice.id,
                                                                   LedgerTransaction.type == "call_reversal"))
        assert credit.amount == Decimal("0.60")
        assert customer_movement(invoice) == -invoice.total
        assert verify() == []
    assert close().created == []  # the minutes are not given twice


def test_each_month_has_its_own_minutes_and_late_calls_use_none(app, make_account, make_calls, close):
    make_account("MOB")
    _plan(app, "MOB", 5)
    make_calls("MOB", [(at("2025-10-03 09:00"), UK_MOBILE, 300)])
    close()
    make_calls("MOB", [(at("2025-10-30 09:00"), UK_MOBILE, 60), (at("2025-11-03 09:00"), UK_MOBILE, 300)])
    close("2025-11")
    with app.app_context():
        bundles = {cdr.start.day: cdr.trace.get("bundle") for cdr in db.session.scalars(select(Cdr))}
        assert bundles[3]["covered_seconds"] == 300 and bundles[30] is None
        november = {line.description: line.amount for line in invoice_of("MOB", "2025-11").lines}
        assert november["Mobile 5: included minutes, 5.00 of 5 min on 1 call"] == Decimal("-0.30")


def test_an_unlimited_plan_covers_calls_to_its_prefixes_only(app, make_account, make_calls, close):
    make_account("UNL")
    _plan(app, "UNL", 0, prefixes=("44",), unlimited=True)
    make_calls("UNL", [(at("2025-10-03 09:00"), UK_MOBILE, 3000), (at("2025-10-04 09:00"), DE_MOBILE, 60)])
    close()
    with app.app_context():
        lines = {line.description: line.amount for line in invoice_of("UNL").lines}
        assert lines["Mobile 0: included minutes, 50.00 unlimited on 1 call"] == Decimal("-3.00")
        assert lines["Germany Mobile (+4915): 1 call"] == Decimal("0.07")


def test_while_its_month_is_open_a_call_a_plan_matches_says_its_minutes_are_settled_at_the_close(
        app, make_account, make_calls, close):
    make_account("OPEN", timezone="Europe/Berlin")
    _plan(app, "OPEN", 10)
    _plan(app, "OPEN", 20, starts_on=date(2025, 11, 1))  # not October's: no minutes for October calls
    make_calls("OPEN", [(at("2025-10-05 09:00"), UK_MOBILE, 60), (at("2025-10-05 10:00"), UK_FIXED, 60),
                        (at("2025-10-31 23:30"), UK_MOBILE, 60)])  # 00:30 on 1 November in Berlin

    def notes():
        return {(cdr.start.day, cdr.number): open_month_bundle(cdr) for cdr in db.session.scalars(select(Cdr))}

    with app.app_context():
        before = notes()
        october, november = before[(5, UK_MOBILE)], before[(31, UK_MOBILE)]
        assert october["note"] == "may be covered by included minutes of Mobile 10; settled at the month's close " \
                                  "(2025-10)"
        assert [plan["name"] for plan in october["plans"]] == ["Mobile 10"] and october["period"] == "2025-10"
        assert [plan["name"] for plan in november["plans"]] == ["Mobile 10", "Mobile 20"]
        assert november["period"] == "2025-11"
        assert before[(5, UK_FIXED)] is None  # no plan for fixed lines
    close()
    make_calls("OPEN", [(at("2025-10-20 09:00"), UK_MOBILE, 60)])  # arrives after October was closed
    with app.app_context():
        after = notes()
        # The close wrote what the minutes did into the trace; a late call gets no October minutes.
        assert after[(5, UK_MOBILE)] is None
        assert db.session.scalar(select(Cdr).where(Cdr.start == at("2025-10-05 09:00"))).trace["bundle"]
        assert after[(20, UK_MOBILE)] is None
        assert after[(31, UK_MOBILE)]["period"] == "2025-11"  # November is still open


def test_the_api_shows_a_call_its_open_month_minutes_may_cover(app, client, make_account, make_calls, close):
    from portal.auth.api_keys import create_api_key

    make_account("SEEN")
    _plan(app, "SEEN", 10)
    make_calls("SEEN", [(at("2025-10-05 09:00"), UK_MOBILE, 60)])
    with app.app_context():
        _, token = create_api_key("switch-1", "switch")
        uuid = db.session.scalar(select(Cdr.uuid))
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    pending = client.get(f"/api/v1/cdrs/{uuid}", headers=headers).get_json()["trace"]["bundle"]
    assert pending["note"].startswith("may be covered by included minutes of Mobile 10")
    close()
    settled = client.get(f"/api/v1/cdrs/{uuid}", headers=headers).get_json()["trace"]["bundle"]
    assert settled["covered_seconds"] == 60 and not settled.get("note", "").startswith("may be")
