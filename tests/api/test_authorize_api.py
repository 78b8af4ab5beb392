"""POST /authorize and GET /rates/lookup against the demo operator, every reason code included."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.api_keys import create_api_key, revoke_api_key
from portal.extensions import db
from portal.ledger import operations
from portal.ledger.balance import available
from portal.models import Account, Hold, NumberListEntry, RetailPlan
from tests import factories
from tests.ledger.conftest import ADMIN

NIGHT = "2026-10-06T22:00:00Z"  # off-peak in London


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


def ask(api, **body):
    body.setdefault("at", NIGHT)
    response = api.post("/authorize", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_allowed_call_has_price_routes_and_max_duration(switch_api, demo):
    answer = ask(switch_api, account="1001", caller="4930123456", callee="+49 151 1234 5678")
    assert answer["allowed"] is True and answer["reason"] is None
    assert answer["number"] == "4915112345678"
    assert answer["destination"] == {"prefix": "4915", "name": "Germany Mobile"}
    assert answer["rate"] == {"per_minute": "0.070000", "connect_fee": "0.000000", "t1": 1, "t2": 1}
    # €50 at €0.07/min is 42,857 s: capped at MAX_CALL_SECONDS.
    assert answer["max_duration"] == 10800
    assert [r["provider"] for r in answer["routes"]] == ["Borealis Telecom", "Atlas Voice"]
    assert answer["routes"][0]["gateway"] == {"name": "borealis-ams", "host": "198.51.100.20", "port": 5080,
                                              "prefix": "77"}
    assert answer["routes"][0]["cost_per_minute"] == "0.028000"


def test_max_duration_follows_the_money(switch_api, demo, app):
    with app.app_context():
        account = factories.account(code="P1", billing="prepaid",
                                    voip_plan_id=db.session.scalar(select(Account.voip_plan_id)
                                                                   .where(Account.code == "1001")))
        operations.payment(account, Decimal("0.10"), ADMIN)
        db.session.commit()
    # UK mobile for a non-UK caller: €0.06/min, T1 30 T2 6 → €0.10 buys 96 s (0.096), not 102 (0.102).
    answer = ask(switch_api, account="P1", caller="4930123456", callee="447700900123")
    assert (answer["allowed"], answer["max_duration"]) == (True, 96)


@pytest.mark.parametrize("body, reason", [
    ({"account": "nobody", "callee": "4915112345678"}, "unknown_account"),
    ({"account": "1001", "callee": "12"}, "invalid_number"),
    ({"account": "1001", "callee": "44909123456"}, "banned"),
    ({"account": "1001", "callee": "99912345678"}, "no_rate"),
])
def test_refusals_name_their_reason(switch_api, demo, body, reason):
    answer = ask(switch_api, **body)
    assert (answer["allowed"], answer["reason"], answer["max_duration"]) == (False, reason, 0)


def test_suspended_account_is_refused(switch_api, demo, app):
    with app.app_context():
        db.session.scalar(select(Account).where(Account.code == "1001")).status = "suspended"
        db.session.commit()
    assert ask(switch_api, account="1001", callee="4915112345678")["reason"] == "account_suspended"


def test_prepaid_without_money_is_refused(switch_api, demo, app):
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "1001"))
        operations.return_payment(account, account.balance, ADMIN)
        db.session.commit()
    assert ask(switch_api, account="1001", callee="4915112345678")["reason"] == "insufficient_funds"


def test_blacklisted_number_is_blocked(switch_api, demo, app):
    with app.app_context():
        db.session.add(NumberListEntry(kind="blacklist", prefix="4915112"))
        db.session.commit()
    assert ask(switch_api, account="1001", callee="4915112345678")["reason"] == "blocked"
    assert ask(switch_api, account="1001", callee="4915999999999")["allowed"] is True


def add_list_entries(app, entries):
    """Black/white list rows (kind, prefix, owning account code or None for every account)."""
    with app.app_context():
        ids = dict(db.session.execute(select(Account.code, Account.id)).all())
        db.session.add_all(NumberListEntry(kind=kind, prefix=prefix, account_id=ids[owner] if owner else None)
                           for kind, prefix, owner in entries)
        db.session.commit()


@pytest.mark.parametrize("entries, account, callee, reason", [
    ([("blacklist", "4915112", "1001")], "1001", "4915112345678", "blocked"),
    ([("blacklist", "4915112", "1001")], "1002", "4915112345678", None),  # 1001's blacklist binds 1001 only
    ([("whitelist", "4915112", "1001")], "1001", "4915112345678", None),
    ([("whitelist", "4915112", "1001")], "1001", "4915999999999", "blocked"),  # a whitelist admits only its own
    ([("whitelist", "4915112", "1001")], "1002", "4915999999999", None),  # 1002 has no whitelist
    ([("whitelist", "44", None)], "1002", "4915112345678", "blocked"),  # a global whitelist binds everyone
    ([("whitelist", "4915", "1001"), ("blacklist", "4915112", None)], "1001", "4915112345678", "blocked"),
])
def test_per_account_blacklists_and_whitelists(app, switch_api, demo, entries, account, callee, reason):
    add_list_entries(app, entries)
    answer = ask(switch_api, account=account, callee=callee, uuid="listed-1")
    assert (answer["allowed"], answer["reason"]) == (reason is None, reason)
    if reason:
        assert (answer["max_duration"], answer["hold"]) == (0, None)
        assert holds(app) == {}
    else:
        assert holds(app) == {"listed-1": "open"}


def test_postpaid_is_authorized_up_to_balance_plus_credit_then_refused_below_it(app, switch_api, demo):
    with app.app_context():
        plan_id = db.session.scalar(select(Account.voip_plan_id).where(Account.code == "1001"))
        account = factories.account(code="PP1", billing="postpaid", voip_plan_id=plan_id)
        operations.credit(account, Decimal("1.00"), ADMIN)
        db.session.commit()
    # No money of its own: the €1 credit limit buys 857 s of Germany Mobile at €0.07/min.
    assert ask(switch_api, account="PP1", callee="4915112345678")["max_duration"] == 857
    call = {"account": "PP1", "caller": "4930123456", "callee": "4915112345678", "start": NIGHT, "answer": NIGHT}
    assert switch_api.post("/cdrs", json={"cdrs": [{**call, "uuid": "pp-1", "billsec": 600}]}).status_code == 200
    # €0.70 spent: €0.30 of the limit left, 257 s.
    answer = ask(switch_api, account="PP1", callee="4915112345678")
    assert (answer["allowed"], answer["max_duration"]) == (True, 257)
    # The next call ran past what the limit covered: it is charged all the same, and the account refused.
    assert switch_api.post("/cdrs", json={"cdrs": [{**call, "uuid": "pp-2", "billsec": 300}]}).status_code == 200
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "PP1"))
        assert (account.balance, account.below_limit) == (Decimal("-1.05"), True)
    answer = ask(switch_api, account="PP1", callee="4915112345678", uuid="pp-3")
    assert (answer["allowed"], answer["reason"], answer["max_duration"], answer["hold"]) == (
        False, "insufficient_funds", 0, None)


def test_a_call_uuid_places_a_hold_once(switch_api, demo, app):
    first = ask(switch_api, account="1001", callee="4915112345678", uuid="call-a")
    again = ask(switch_api, account="1001", callee="4915112345678", uuid="call-a")
    assert first["hold"] == again["hold"] == "12.600000"  # 10800 s at €0.07/min
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "1001"))
        assert available(account) == Decimal(1000) - Decimal("12.6")
        assert db.session.scalar(select(func.count()).select_from(Hold)) == 1


def prepaid(app, code, money):
    """A prepaid account on the demo's EUR plan holding `money`."""
    with app.app_context():
        plan_id = db.session.scalar(select(Account.voip_plan_id).where(Account.code == "1001"))
        account = factories.account(code=code, billing="prepaid", voip_plan_id=plan_id)
        if money:
            operations.payment(account, Decimal(money), ADMIN)
        db.session.commit()


def holds(app):
    with app.app_context():
        return {uuid: status for uuid, status in db.session.execute(select(Hold.call_uuid, Hold.status))}


def test_asking_again_for_a_held_call_answers_as_the_first_time(app, switch_api, demo):
    prepaid(app, "P3", "1.00")
    first = ask(switch_api, account="P3", callee="4915112345678", uuid="conc-1")
    again = ask(switch_api, account="P3", callee="4915112345678", uuid="conc-1")
    assert first["allowed"] is True and first["max_duration"] == 857  # €1 at €0.07/min, per second
    assert again == first
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "P3"))
        assert available(account) == Decimal("1.00") - Decimal(first["hold"])
    assert holds(app) == {"conc-1": "open"}


def test_a_call_uuid_held_by_another_account_is_a_conflict(app, switch_api, demo):
    ask(switch_api, account="1001", callee="4915112345678", uuid="shared-1")
    response = switch_api.post("/authorize", json={"account": "1002", "callee": "4915112345678", "uuid": "shared-1",
                                                   "at": NIGHT})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "call_uuid_conflict" and "another account" in error["message"]
    assert "hold" not in response.get_json()
    with app.app_context():
        assert db.session.scalar(select(Hold.account_id).where(Hold.call_uuid == "shared-1")) == db.session.scalar(
            select(Account.id).where(Account.code == "1001"))


def test_a_call_uuid_whose_call_is_over_cannot_be_authorized_again(app, switch_api, demo):
    ask(switch_api, account="1001", callee="4915112345678", uuid="done-1")
    switch_api.post("/cdrs", json={"cdrs": [{"uuid": "done-1", "account": "1001", "callee": "4915112345678",
                                             "start": NIGHT, "billsec": 0}]})
    response = switch_api.post("/authorize", json={"account": "1001", "callee": "4915112345678", "uuid": "done-1",
                                                   "at": NIGHT})
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "call_uuid_conflict")
    assert "settled" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("body", [
    {"account": "P0", "callee": "4915112345678", "uuid": "refused-1"},  # no money
    {"account": "1001", "callee": "44909123456", "uuid": "refused-2"},  # banned
    {"account": "1001", "callee": "4915112345678"},  # allowed, but no uuid: nothing held
])
def test_no_hold_placed_answers_hold_null(app, switch_api, demo, body):
    prepaid(app, "P0", 0)
    assert ask(switch_api, **body)["hold"] is None
    assert holds(app) == {}


def test_lapsed_holds_are_closed_and_count_for_nothing(app, runner, switch_api, api):
    # Calls of at most 1 s with no grace: their holds lapse a second after they are placed.
    app.config.update(MAX_CALL_SECONDS=1, HOLD_GRACE_SECONDS=0)
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0
    prepaid(app, "P4", "1.00")
    first = ask(switch_api, account="P4", callee="4915112345678", uuid="lapse-1")
    ask(switch_api, account="1001", callee="4915112345678", uuid="lapse-2")
    assert Decimal(api.get("/accounts/P4").get_json()["available"]) == Decimal(1) - Decimal(first["hold"])
    time.sleep(1.1)
    assert Decimal(api.get("/accounts/P4").get_json()["available"]) == Decimal(1)
    second = ask(switch_api, account="P4", callee="4915112345678", uuid="lapse-3")
    assert holds(app) == {"lapse-1": "expired", "lapse-2": "open", "lapse-3": "open"}  # P4's own, on the way
    assert Decimal(api.get("/accounts/P4").get_json()["available"]) == Decimal(1) - Decimal(second["hold"])
    time.sleep(1.1)
    result = runner.invoke(args=["ledger", "expire-holds"])
    assert result.exit_code == 0 and "expired 2 lapsed hold(s)" in result.output
    assert holds(app) == {"lapse-1": "expired", "lapse-2": "expired", "lapse-3": "expired"}


def test_a_deck_import_is_used_by_the_very_next_authorization(app, api, switch_api, demo):
    uk_mobile = {"account": "1001", "caller": "4930123456", "callee": "447700900123"}
    assert ask(switch_api, **uk_mobile)["rate"] == {"per_minute": "0.060000", "connect_fee": "0.000000", "t1": 30,
                                                    "t2": 6}
    with app.app_context():
        plan_id = db.session.scalar(select(RetailPlan.id).where(RetailPlan.name == "Standard EUR"))
    imported = api.post(f"/retail-plans/{plan_id}/rates?mode=merge", data="prefix,rate\n447,0.05\n",
                        headers={"Content-Type": "text/csv"})
    assert imported.get_json() == {"created": 0, "updated": 1, "deleted": 0}
    assert ask(switch_api, **uk_mobile)["rate"] == {"per_minute": "0.050000", "connect_fee": "0.000000", "t1": 30,
                                                    "t2": 6}


def test_authorize_refuses_a_uuid_that_cdrs_could_not_be_read_back_by(switch_api, demo):
    response = switch_api.post("/authorize", json={"account": "1001", "callee": "4915112345678", "uuid": "a/b"})
    assert response.status_code == 400 and "uuid" in response.get_json()["error"]["fields"]


def simultaneously(app, token, bodies):
    """The answers (status, JSON) to `bodies` posted to /authorize at the same moment, one thread each."""
    start = threading.Barrier(len(bodies), timeout=30)

    def one(body):
        client = app.test_client()
        start.wait()  # every thread ready before any asks: the requests really overlap
        response = client.post("/api/v1/authorize", headers={"Authorization": f"Bearer {token}"},
                               json={"callee": "4915112345678", "at": NIGHT, **body})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


# €1 is less than one longest call (€12.60 for 3 hours); €30 is two of them and part of a third.
@pytest.mark.parametrize("money", ["1.00", "30.00"])
def test_ten_simultaneous_authorizations_never_promise_more_than_the_balance(switch_api, demo, app, money):
    prepaid(app, "P2", money)
    answers = simultaneously(app, switch_api.token, [{"account": "P2", "uuid": f"sim-{n}"} for n in range(10)])
    assert {status for status, _ in answers} == {200}
    holds = [Decimal(a["hold"]) for _, a in answers if a["allowed"]]
    assert Decimal(money) - Decimal("0.07") < sum(holds) <= Decimal(money)  # all of it promised, and no more
    refused = [a["reason"] for _, a in answers if not a["allowed"]]
    assert set(refused) <= {"insufficient_funds"}
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "P2"))
        assert Decimal(0) <= available(account) == Decimal(money) - sum(holds)
        assert account.held == sum(holds)


def test_one_call_asked_for_many_times_at_once_is_held_once_and_answered_alike(switch_api, demo, app):
    prepaid(app, "P5", "30.00")
    answers = simultaneously(app, switch_api.token, [{"account": "P5", "uuid": "retried-1"}] * 8)
    assert [status for status, _ in answers] == [200] * 8
    assert all(answer == answers[0][1] for _, answer in answers) and answers[0][1]["hold"] == "12.600000"
    assert holds(app) == {"retried-1": "open"}
    with app.app_context():
        assert db.session.scalar(select(Account.held).where(Account.code == "P5")) == Decimal("12.6")


def test_rates_lookup(switch_api, demo):
    response = switch_api.get("/rates/lookup?account=1001&number=0044 7700 900123&at=" + NIGHT)
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == "447700900123" and body["destination"]["prefix"] == "447"
    assert body["rate"]["per_minute"] == "0.060000" and body["rate"]["currency"] == "EUR"
    assert [r["provider"] for r in body["routes"]] == ["Atlas Voice", "Borealis Telecom"]


@pytest.mark.parametrize("query, status", [
    ("account=1001", 400), ("account=nobody&number=4915", 404), ("account=1001&number=44909123456", 422),
    ("account=1001&number=4915&at=yesterday", 400),
])
def test_rates_lookup_errors(switch_api, demo, query, status):
    assert switch_api.get(f"/rates/lookup?{query}").status_code == status


def test_authorize_needs_a_key_and_valid_input(client, switch_api, demo):
    assert client.post("/api/v1/authorize", json={"account": "1001", "callee": "44"}).status_code == 401
    response = switch_api.post("/authorize", json={"caller": 12})
    assert response.status_code == 400 and {"account", "callee", "caller"} <= set(
        response.get_json()["error"]["fields"])
    assert switch_api.post("/authorize", json={"account": "1001", "callee": "4915", "at": "noon"}).status_code == 400


def _authorization_header(app, kind):
    """The Authorization header of each kind of caller."""
    if kind == "none":
        return {}
    if kind == "not a key":
        return {"Authorization": "Bearer nope"}
    if kind == "unknown key":
        return {"Authorization": "Bearer v2b_" + "x" * 43}
    with app.app_context():
        key, token = create_api_key(f"{kind}-{factories.next_number()}", "admin" if kind == "admin" else "switch")
        if kind == "revoked":
            revoke_api_key(key)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("kind", ["none", "not a key", "unknown key", "revoked", "switch", "admin"])
@pytest.mark.parametrize("body, admitted", [
    ({"account": "1001", "callee": "4915112345678", "uuid": "key-1"}, (200, True)),
    ({"account": "nobody", "callee": "4915112345678", "uuid": "key-2"}, (200, False)),
    ({"caller": 12}, (400, None)),
])
def test_the_key_read_with_the_account_answers_as_on_every_endpoint(app, client, demo, kind, body, admitted):
    response = client.post("/api/v1/authorize", json={"at": NIGHT, **body}, headers=_authorization_header(app, kind))
    if kind in ("switch", "admin"):
        status, allowed = admitted
        assert response.status_code == status
        assert response.get_json().get("allowed") is allowed
    else:
        assert (response.status_code, response.get_json()["error"]["code"]) == (401, "unauthorized")
    assert holds(app) == ({"key-1": "open"} if kind in ("switch", "admin") and body.get("uuid") == "key-1" else {})
