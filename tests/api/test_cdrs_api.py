"""POST /cdrs in JSON and the three CSV formats, reading CDRs back, and re-rating."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger.verify import verify
from portal.models import (
    Account,
    Cdr,
    Hold,
    Invoice,
    LedgerAccount,
    LedgerTransaction,
    Posting,
    Provider,
    RetailPlan,
    RetailRate,
)

NIGHT = "2026-10-06T22:00:00Z"


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


def cdr(uuid, billsec=60, callee="4915112345678", account="1001", **extra):
    return {"uuid": uuid, "account": account, "caller": "4930123456", "callee": callee, "start": NIGHT,
            "answer": NIGHT, "end": "2026-10-06T22:10:00Z", "billsec": billsec, **extra}


def balance(app, code="1001"):
    with app.app_context():
        return db.session.scalar(select(Account.balance).where(Account.code == code))


def test_a_batch_is_stored_rated_and_charged_once(app, switch_api, demo):
    response = switch_api.post("/cdrs", json={"cdrs": [cdr("c1"), cdr("c2", billsec=30), cdr("c1")]})
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 2, "duplicates": 1, "rejected": []}
    # 60 s + 30 s of Germany Mobile at €0.07/min off-peak.
    assert balance(app) == Decimal(1000) - Decimal("0.07") - Decimal("0.035")
    again = switch_api.post("/cdrs", json={"cdrs": [cdr("c1"), cdr("c2")]}).get_json()
    assert again == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert balance(app) == Decimal("999.895")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                                 .where(LedgerTransaction.type == "call_charge")) == 2
        assert verify() == []


def test_malformed_records_are_rejected_with_index_and_the_rest_kept(app, switch_api, demo):
    batch = [cdr("ok-1"), {"uuid": "bad", "account": "1001", "callee": "4915", "start": NIGHT, "billsec": "lots"},
             "not an object", cdr("ok-2")]
    body = switch_api.post("/cdrs", json={"cdrs": batch}).get_json()
    assert body["accepted"] == 2 and body["duplicates"] == 0
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert "billsec" in body["rejected"][0]["error"]


@pytest.mark.parametrize("record, status", [
    (cdr("u1", account="ghost"), "unknown_account"),
    (cdr("u2", callee="12"), "invalid_number"),
    (cdr("u3", callee="44909123456"), "banned"),
    (cdr("u4", callee="99912345678"), "no_rate"),
])
def test_unratable_cdrs_are_stored_with_their_reason_and_charge_nothing(app, switch_api, demo, record, status):
    assert switch_api.post("/cdrs", json={"cdrs": [record]}).get_json()["accepted"] == 1
    stored = switch_api.get(f"/cdrs/{record['uuid']}").get_json()
    assert stored["status"] == status and stored["price"] is None
    assert balance(app) == Decimal(1000)


def test_unanswered_call_costs_nothing(app, switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("missed", billsec=0, answer=None, hangup_cause=19)]})
    stored = switch_api.get("/cdrs/missed").get_json()
    assert (stored["status"], stored["price"], stored["hangup_cause"]) == ("rated", "0.000000", 19)
    assert balance(app) == Decimal(1000)


def test_cdr_settles_its_hold(app, switch_api, demo):
    def hold_and_held():
        with app.app_context():
            return (db.session.scalar(select(Hold.status).where(Hold.call_uuid == "held")),
                    db.session.scalar(select(Account.held).where(Account.code == "1001")))

    answer = switch_api.post("/authorize", json={"account": "1001", "callee": "4915112345678", "uuid": "held",
                                                 "at": NIGHT}).get_json()
    assert hold_and_held() == ("open", Decimal(answer["hold"])) and Decimal(answer["hold"]) > 0
    switch_api.post("/cdrs", json={"cdrs": [cdr("held"), cdr("not-held")]})
    assert hold_and_held() == ("settled", 0)  # the charge replaces the reservation
    with app.app_context():
        assert verify() == []


def test_a_cdr_explains_its_price(switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("explained", billsec=61, provider="Atlas Voice")]})
    body = switch_api.get("/cdrs/explained").get_json()
    assert {k: body[k] for k in ("uuid", "account", "number", "billsec", "billable_seconds", "price", "currency",
                                 "cost", "cost_currency", "provider", "status", "invoice")} == {
        "uuid": "explained", "account": "1001", "number": "4915112345678", "billsec": 61, "billable_seconds": 61,
        "price": "0.071200", "currency": "EUR", "cost": "0.030500", "cost_currency": "EUR", "provider": "Atlas Voice",
        "status": "rated", "invoice": None}
    assert body["destination"] == {"prefix": "4915", "name": "Germany Mobile"}
    trace = body["trace"]
    assert trace["band"] == "off-peak" and trace["price_unrounded"].startswith("0.07116666")
    assert trace["cost"]["chosen_by"] == "carrying provider"


def payables(app):
    """What the ledger says we owe each provider."""
    with app.app_context():
        return dict(db.session.execute(select(Provider.name, func.sum(Posting.amount)).join(
            LedgerAccount, Provider.id == LedgerAccount.provider_id).join(Posting).group_by(Provider.name)).all())


def test_cost_without_a_named_provider_goes_to_the_first_routes_carrier(app, switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("unnamed")]})
    body = switch_api.get("/cdrs/unnamed").get_json()
    assert (body["provider"], body["cost"]) == ("Borealis Telecom", "0.028000")
    assert payables(app) == {"Borealis Telecom": Decimal("0.028")}


def test_cost_of_a_call_by_an_unknown_provider_is_estimated_and_says_so(app, switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("stranger", provider="Nobody Telecom")]})
    body = switch_api.get("/cdrs/stranger").get_json()
    assert (body["status"], body["provider"], body["cost"], body["cost_currency"]) == (
        "rated", "Nobody Telecom", "0.028000", "EUR")
    assert body["trace"]["cost"]["chosen_by"] == "first LCR route"
    assert body["trace"]["cost_note"] == ("provider 'Nobody Telecom' is not known: cost estimated from the first "
                                          "LCR route (Borealis Telecom), not booked to any provider's payable")
    assert payables(app) == {}  # we owe Borealis nothing for a call it did not carry
    assert balance(app) == Decimal(1000) - Decimal("0.07")


def test_naive_times_in_a_json_batch_are_utc(switch_api, demo):
    # 07:30 UTC is 08:30 in London, inside the peak hours (08:00-19:00): read as London time it
    # would be off-peak.
    switch_api.post("/cdrs", json={"cdrs": [cdr("naive", start="2026-10-06T07:30:00", answer="2026-10-06 07:30:00",
                                                end="2026-10-06T07:31:00")]})
    body = switch_api.get("/cdrs/naive").get_json()
    assert (body["start"], body["answer"]) == ("2026-10-06T07:30:00+00:00", "2026-10-06T07:30:00+00:00")
    assert (body["trace"]["band"], body["price"]) == ("peak", "0.090000")


@pytest.mark.parametrize("fmt", ["json", "native"])
def test_a_uuid_with_a_slash_is_rejected_by_index_and_the_rest_kept(switch_api, demo, fmt):
    uuids = ["ok-a", "a/b", "ok-b"]
    if fmt == "json":
        response = switch_api.post("/cdrs", json={"cdrs": [cdr(uuid) for uuid in uuids]})
    else:
        text = "uuid,account,callee,start,billsec\n" + "".join(f"{uuid},1001,4915112345678,{NIGHT},0\n"
                                                                for uuid in uuids)
        response = switch_api.post("/cdrs?format=native", data=text, headers={"Content-Type": "text/csv"})
    answer = response.get_json()
    assert answer["accepted"] == 2 and [r["index"] for r in answer["rejected"]] == [1]
    assert answer["rejected"][0]["error"].startswith("uuid: must not contain '/'")
    assert switch_api.get("/cdrs/ok-b").status_code == 200


def test_unknown_cdr_is_404(switch_api, demo):
    assert switch_api.get("/cdrs/nope").status_code == 404


ASTERISK = (
    '"1001","4930123456","4915112345678","from-internal","""Alice"" <4930123456>","SIP/alice-0001",'
    '"SIP/trunk-0002","Dial","SIP/trunk/4915112345678","2026-10-06 23:00:00","2026-10-06 23:00:05",'
    '"2026-10-06 23:01:05","65","60","ANSWERED","DOCUMENTATION","1728255600.1",""\n'
    '"1001","4930123456","4915112345678","from-internal","""Alice"" <4930123456>","SIP/alice-0003",'
    '"SIP/trunk-0004","Dial","SIP/trunk/4915112345678","2026-10-06 23:05:00","","2026-10-06 23:05:20",'
    '"20","0","NO ANSWER","DOCUMENTATION","1728255900.3",""\n'
)
FREESWITCH = (
    '"Alice","4930123456","4915112345678","default","2026-10-06 22:00:00","2026-10-06 22:00:04",'
    '"2026-10-06 22:02:04","124","120","NORMAL_CLEARING","a1b2c3d4-0000-4000-8000-000000000001","",'
    '"1001","PCMA","PCMA"\n'
)


@pytest.mark.parametrize("fmt, text, accepted, charged", [
    ("asterisk", ASTERISK, 2, Decimal("0.07")),
    ("freeswitch", FREESWITCH, 1, Decimal("0.14")),
    ("native", "uuid,account,caller,callee,start,billsec\nn1,1001,4930123456,4915112345678,2026-10-06T22:00:00Z,60\n",
     1, Decimal("0.07")),
])
def test_csv_formats(app, switch_api, demo, fmt, text, accepted, charged):
    response = switch_api.post(f"/cdrs?format={fmt}&timezone=Europe/Berlin" if fmt == "asterisk"
                               else f"/cdrs?format={fmt}", data=text, headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"accepted": accepted, "duplicates": 0, "rejected": []}
    assert balance(app) == Decimal(1000) - charged
    again = switch_api.post(f"/cdrs?format={fmt}", data=text, headers={"Content-Type": "text/csv"}).get_json()
    assert again["duplicates"] == accepted  # a re-sent file is recognised


def asterisk(*extra, minute=0, disposition="ANSWERED", billsec="60", answer=True):
    """One Master.csv row of a call to Germany Mobile at 23:mm Berlin time, with `extra` after amaflags."""
    start = f"2026-10-06 23:{minute:02}:00"
    cells = ["1001", "4930123456", "4915112345678", "from-internal", '"Alice" <4930123456>',
             f"SIP/alice-{minute:08}", f"SIP/trunk-{minute:08}", "Dial", "SIP/trunk/4915112345678", start,
             f"2026-10-06 23:{minute:02}:05" if answer else "", f"2026-10-06 23:{minute + 1:02}:05", "65", billsec,
             disposition, "DOCUMENTATION", *extra]
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells) + "\n"


def post_asterisk(switch_api, text, query=""):
    response = switch_api.post(f"/cdrs?format=asterisk&timezone=Europe/Berlin{query}", data=text,
                               headers={"Content-Type": "text/csv"})
    return response.status_code, response.get_json()


def stored(app):
    with app.app_context():
        return [row._asdict() for row in db.session.execute(
            select(Cdr.uuid, Cdr.provider_name, Cdr.billsec, Cdr.answer, Cdr.price, Cdr.hangup_cause)
            .order_by(Cdr.start))]


def test_asterisk_17_columns_ending_in_a_userfield_keep_every_call(app, switch_api, demo):
    text = "".join(asterisk("Atlas Voice", minute=minute) for minute in (0, 10, 20))
    assert post_asterisk(switch_api, text) == (200, {"accepted": 3, "duplicates": 0, "rejected": []})
    calls = stored(app)
    assert [call["provider_name"] for call in calls] == ["Atlas Voice"] * 3
    assert len({call["uuid"] for call in calls}) == 3 and all(re.fullmatch(r"ast-[0-9a-f]{32}", call["uuid"])
                                                               for call in calls)
    assert switch_api.get(f"/cdrs/{calls[0]['uuid']}").get_json()["cost"] == "0.030000"  # Atlas's rate
    assert post_asterisk(switch_api, text)[1] == {"accepted": 0, "duplicates": 3, "rejected": []}


@pytest.mark.parametrize("extra, query, uuid, provider", [
    ((), "", None, ""),
    (("1728255600.1",), "", "1728255600.1", ""),
    (("pbx-eu-1-1728255600.17",), "", "pbx-eu-1-1728255600.17", ""),
    (("Atlas Voice",), "", None, "Atlas Voice"),
    (("",), "", None, ""),
    (("1728255600.1", "Atlas Voice"), "", "1728255600.1", "Atlas Voice"),
    (("1728255600.1",), "&columns=userfield", None, "1728255600.1"),
    (("Atlas Voice",), "&columns=uniqueid", "Atlas Voice", ""),
    (("1728255600.1", "Atlas Voice"), "&columns=uniqueid,userfield", "1728255600.1", "Atlas Voice"),
])
def test_asterisk_files_of_16_17_and_18_columns(app, switch_api, demo, extra, query, uuid, provider):
    assert post_asterisk(switch_api, asterisk(*extra), query)[1]["accepted"] == 1
    [call] = stored(app)
    if uuid is None:  # no uniqueid logged: one derived from the row
        assert re.fullmatch(r"ast-[0-9a-f]{32}", call["uuid"])
    else:
        assert call["uuid"] == uuid
    assert (call["provider_name"], call["billsec"], call["price"]) == (provider, 60, Decimal("0.07"))


def test_asterisk_columns_option_rejects_rows_of_another_width(switch_api, demo):
    text = asterisk("1728255600.1") + asterisk("1728255600.2", "Atlas Voice", minute=10)
    status, body = post_asterisk(switch_api, text, "&columns=uniqueid")
    assert status == 200 and body["accepted"] == 1
    assert body["rejected"] == [{"index": 1, "error": "row: expected 17 columns (Asterisk Master.csv with uniqueid), "
                                                      "got 18"}]


@pytest.mark.parametrize("query", ["&columns=uniqueid,linkedid", "&columns=userfield,uniqueid"])
def test_asterisk_columns_option_must_name_a_layout_cdr_csv_writes(switch_api, demo, query):
    """The layouts are the document's enum for `columns`, which the query is held to."""
    status, body = post_asterisk(switch_api, asterisk("Atlas Voice"), query)
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    assert body["error"]["fields"]["columns"].startswith("one of: uniqueid, userfield, uniqueid,userfield")


def test_columns_option_is_only_for_asterisk(switch_api, demo):
    response = switch_api.post("/cdrs?format=freeswitch&columns=uniqueid", data=FREESWITCH,
                               headers={"Content-Type": "text/csv"})
    assert response.status_code == 400 and "only for format asterisk" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("disposition, cause", [("BUSY", 17), ("NO ANSWER", 19), ("FAILED", 41),
                                                ("CONGESTION", 34)])
def test_asterisk_disposition_of_an_unanswered_call_forces_billsec_0(app, switch_api, demo, disposition, cause):
    # The row claims an answer and 60 billed seconds: the disposition says nobody answered.
    assert post_asterisk(switch_api, asterisk(disposition=disposition))[1]["accepted"] == 1
    [call] = stored(app)
    assert (call["billsec"], call["answer"], call["price"], call["hangup_cause"]) == (0, None, Decimal(0), cause)
    assert balance(app) == Decimal(1000)


def test_the_sample_master_csv_goes_in_over_http(app, switch_api, demo):
    text = (Path(__file__).parent.parent / "cdrs" / "samples" / "Master.csv").read_text()
    status, body = post_asterisk(switch_api, text)
    assert status == 200 and (body["accepted"], body["duplicates"]) == (9, 0)
    assert body["rejected"] == [{"index": 7, "error": "account: required"}]


def test_bad_csv_requests(switch_api, demo):
    assert switch_api.post("/cdrs?format=cisco", data="x", headers={"Content-Type": "text/csv"}).status_code == 400
    response = switch_api.post("/cdrs?format=native", data="nothing,useful\n1,2\n",
                               headers={"Content-Type": "text/csv"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_csv"
    assert switch_api.post("/cdrs", json={"cdrs": "x"}).status_code == 400


def test_listing_filters_and_pages(switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr(f"l{n}") for n in range(5)] + [cdr("other", account="2001")]})
    first = switch_api.get("/cdrs?account=1001&limit=3").get_json()
    assert [c["uuid"] for c in first["items"]] == ["l4", "l3", "l2"]
    rest = switch_api.get(f"/cdrs?account=1001&limit=3&cursor={first['next_cursor']}").get_json()
    assert [c["uuid"] for c in rest["items"]] == ["l1", "l0"] and rest["next_cursor"] is None
    window = switch_api.get("/cdrs?from=2026-10-06T21:00:00Z&to=2026-10-06T23:00:00&status=rated").get_json()
    assert len(window["items"]) == 6
    assert switch_api.get("/cdrs?from=2027-01-01T00:00:00Z").get_json()["items"] == []


def test_rerate_after_a_tariff_fix_keeps_the_ledger_exact(app, api, switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("r1"), cdr("r2", callee="99912345678")]})
    assert balance(app) == Decimal("999.93")
    with app.app_context():
        plan = db.session.scalar(select(RetailPlan).where(RetailPlan.name == "Standard EUR"))
        db.session.scalar(select(RetailRate).where(RetailRate.plan_id == plan.id, RetailRate.prefix == "4915")) \
            .rate = Decimal("0.05")
        db.session.add(RetailRate(plan_id=plan.id, prefix="999", destination="Test", rate=Decimal(1)))
        db.session.commit()
    response = api.post("/cdrs/rerate", json={"from": "2026-10-06T00:00:00Z", "to": "2026-10-07T00:00:00Z"})
    assert response.get_json() == {"examined": 2, "changed": 2, "reversed": 1}
    assert switch_api.get("/cdrs/r2").get_json()["status"] == "rated"
    assert balance(app) == Decimal(1000) - Decimal("0.05") - Decimal(1)
    assert api.post("/cdrs/rerate", json={"from": "2026-10-06T00:00:00Z",
                                          "to": "2026-10-07T00:00:00Z"}).get_json()["changed"] == 0
    r1, r2 = call_ledger(app, "r1"), call_ledger(app, "r2")
    # r1's first charge is reversed by a transaction pointing at it, then reposted at the new rate;
    # r2 had no rate, so nothing to reverse: it is charged for the first time.
    assert [(t.type, t.amount) for t in r1] == [("call_charge", Decimal("-0.07")),
                                                ("call_reversal", Decimal("0.07")),
                                                ("call_charge", Decimal("-0.05"))]
    assert r1[1].corrects_id == r1[0].id
    assert [(t.type, t.amount, t.corrects_id) for t in r2] == [("call_charge", Decimal(-1), None)]
    assert [t.amount for t in live_charges(r1)] == [Decimal("-0.05")]
    assert [t.amount for t in live_charges(r2)] == [Decimal(-1)]
    with app.app_context():
        assert verify() == []


def call_ledger(app, uuid):
    """A CDR's call charges and their reversals, oldest first."""
    with app.app_context():
        return db.session.execute(
            select(LedgerTransaction.id, LedgerTransaction.type, LedgerTransaction.amount,
                   LedgerTransaction.corrects_id)
            .join(Cdr, Cdr.id == LedgerTransaction.cdr_id).where(Cdr.uuid == uuid).order_by(LedgerTransaction.id)
        ).all()


def live_charges(transactions):
    """The call charges no reversal in `transactions` points at."""
    reversed_ids = {t.corrects_id for t in transactions if t.type == "call_reversal"}
    return [t for t in transactions if t.type == "call_charge" and t.id not in reversed_ids]


def test_rerate_of_one_account_leaves_the_others_calls_alone(app, api, switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("mine"), cdr("theirs", account="1002")]})
    with app.app_context():
        db.session.scalar(select(RetailRate).join(RetailPlan).where(
            RetailPlan.name == "Standard EUR", RetailRate.prefix == "4915")).rate = Decimal("0.05")
        db.session.commit()
    response = api.post("/cdrs/rerate", json={"from": "2026-10-06T00:00:00Z", "to": "2026-10-07T00:00:00Z",
                                              "account": "1002"})
    assert response.get_json() == {"examined": 1, "changed": 1, "reversed": 1}
    assert switch_api.get("/cdrs/theirs").get_json()["price"] == "0.050000"
    assert switch_api.get("/cdrs/mine").get_json()["price"] == "0.070000"
    assert [t.type for t in call_ledger(app, "mine")] == ["call_charge"]
    assert (balance(app), balance(app, "1002")) == (Decimal("999.93"), Decimal("-0.05"))


def test_the_same_cdr_posted_twice_at_once_is_stored_and_charged_once(app, switch_api, demo):
    start = threading.Barrier(2, timeout=30)

    def post(_):
        client = app.test_client()
        start.wait()  # both requests in flight together, as two switch nodes retrying one call would be
        response = client.post("/api/v1/cdrs", headers={"Authorization": f"Bearer {switch_api.token}"},
                               json={"cdrs": [cdr("twice")]})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(post, range(2)))
    assert [status for status, _ in answers] == [200, 200]
    assert sorted((body["accepted"], body["duplicates"]) for _, body in answers) == [(0, 1), (1, 0)]
    assert [t.type for t in call_ledger(app, "twice")] == ["call_charge"]
    assert balance(app) == Decimal("999.93")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cdr).where(Cdr.uuid == "twice")) == 1
        assert verify() == []


def test_rerate_skips_invoiced_cdrs(app, api, switch_api, demo):
    switch_api.post("/cdrs", json={"cdrs": [cdr("inv")]})
    with app.app_context():
        stored = db.session.scalar(select(Cdr).where(Cdr.uuid == "inv"))
        invoice = Invoice(number="INV-2026-000001", account_id=stored.account_id, period="2026-10",
                          period_start=stored.start.replace(day=1, hour=0), period_end=stored.start.replace(day=31),
                          currency="EUR", subtotal=0, tax=0, total=0)
        db.session.add(invoice)
        db.session.flush()
        stored.invoice_id = invoice.id
        db.session.scalar(select(RetailRate).where(RetailRate.prefix == "4915")).rate = Decimal(9)
        db.session.commit()
    response = api.post("/cdrs/rerate", json={"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"})
    assert response.get_json()["examined"] == 0
    assert switch_api.get("/cdrs/inv").get_json()["invoice"] == "INV-2026-000001"


def test_rerate_input_errors(api, demo):
    assert api.post("/cdrs/rerate", json={"from": "2026-10-02T00:00:00Z", "to": "2026-10-01T00:00:00Z"}) \
        .status_code == 400
    assert api.post("/cdrs/rerate", json={"from": "x", "to": "y"}).status_code == 400
    assert api.post("/cdrs/rerate", json={"from": "2026-10-01T00:00:00Z", "to": "2026-10-02T00:00:00Z",
                                          "account": "ghost"}).status_code == 404


def test_switch_key_may_not_rerate(switch_api, demo):
    assert switch_api.post("/cdrs/rerate", json={}).status_code == 403
