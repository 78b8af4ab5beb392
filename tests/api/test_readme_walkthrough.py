"""README's "The API for switches", replayed as a new user would: every command of its shell block,
in order, read from README.md itself, so an example that stops working fails here.

The README starts from `flask demo`; this runs it without the 60 days of calls (the examples need
the operator, its decks and account 1001, not the history)."""
import re
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Hold

ROOT = Path(__file__).resolve().parents[2]


def readme_commands():
    """Each command of the section's shell block as argv, comments left out; a command may run
    over several lines (a trailing backslash, or a quote still open)."""
    section = (ROOT / "README.md").read_text().split("## The API for switches", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1).replace("\\\n", " ")
    commands, pending = [], ""
    for line in block.splitlines(keepends=True):
        pending += line
        try:
            argv = shlex.split(pending, comments=True)
        except ValueError:  # "No closing quotation": the command goes on
            continue
        if argv:
            commands.append(argv)
        pending = ""
    return commands


def curl_request(argv, key):
    """(method, target under the host, headers, body) of a curl command line."""
    method, headers, body, url = "GET", {}, None, None
    words = iter(argv[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, value = next(words).split(":", 1)
            headers[name.strip()] = value.strip().replace("$KEY", key)
        elif word == "-d":
            body = next(words)
        elif word == "--data-binary":
            body = (ROOT / next(words).removeprefix("@")).read_bytes()
        elif word == "-s":
            continue
        else:
            url = word
    if body is not None and method == "GET":
        method = "POST"  # what curl does with a body and no -X
    return method, re.sub(r"^https?://[^/]+", "", url), headers, body


@pytest.fixture
def demo(runner):
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0


@pytest.fixture
def answers(app, client, runner, demo):
    """{"METHOD target": response} of every command of the walkthrough, run in order."""
    key, answered = None, {}
    for argv in readme_commands():
        if argv[0].startswith("KEY=$("):
            assert argv[-2:] == ["tail", "-1)"], argv  # the key is the command's last line
            result = runner.invoke(args=argv[argv.index("wsgi") + 1:argv.index("|")])
            assert result.exit_code == 0, result.output
            key = result.output.splitlines()[-1]
            continue
        assert argv[0] == "curl", f"the walkthrough runs {argv[0]}; teach this test what it does"
        method, target, headers, body = curl_request(argv, key)
        answered[f"{method} {target}"] = client.open(target, method=method, headers=headers, data=body)
    return answered


def test_every_request_of_the_readme_succeeds(answers):
    assert answers and {request: response.status_code for request, response in answers.items()} == {
        request: 200 for request in answers}
    for request, response in answers.items():
        if request.startswith("POST /api/v1/cdrs"):  # a fresh database: every CDR shown is new
            assert response.get_json()["accepted"] > 0 and response.get_json()["duplicates"] == 0, request


def test_readme_authorization_holds_the_call(app, answers):
    answer = answers["POST /api/v1/authorize"].get_json()
    assert (answer["allowed"], answer["reason"], answer["number"]) == (True, None, "4915112345678")
    assert answer["destination"] == {"prefix": "4915", "name": "Germany Mobile"}
    # The README sends no "at": it is asked now, at the peak (€0.09) or off-peak (€0.07) price.
    assert answer["rate"]["per_minute"] in {"0.090000", "0.070000"}
    assert answer["max_duration"] == 10800 and Decimal(answer["hold"]) > 0
    assert [route["provider"] for route in answer["routes"]] == ["Borealis Telecom", "Atlas Voice"]
    with app.app_context():  # the CDR that followed settled it
        assert db.session.scalar(select(Hold.status).where(Hold.call_uuid == "call-1")) == "settled"


def test_readme_cdrs_are_stored_and_explained(answers):
    assert answers["POST /api/v1/cdrs"].get_json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    # The shipped Master.csv has a row without an account: named, the other nine kept.
    assert answers["POST /api/v1/cdrs?format=asterisk&timezone=Europe/London"].get_json() == {
        "accepted": 9, "duplicates": 0, "rejected": [{"index": 7, "error": "account: required"}]}
    call = answers["GET /api/v1/cdrs/call-1"].get_json()
    # Friday 20 November 2026, 10:00 in London, is peak: 75 s of Germany Mobile at €0.09/min.
    assert {k: call[k] for k in ("uuid", "account", "number", "billsec", "billable_seconds", "price", "currency",
                                 "status")} == {
        "uuid": "call-1", "account": "1001", "number": "4915112345678", "billsec": 75, "billable_seconds": 75,
        "price": "0.112500", "currency": "EUR", "status": "rated"}
    assert call["trace"]["band"] == "peak"


def test_readme_rates_lookup(answers):
    body = answers["GET /api/v1/rates/lookup?account=1001&number=447700900123"].get_json()
    assert (body["number"], body["destination"]) == ("447700900123", {"prefix": "447",
                                                                      "name": "United Kingdom Mobile"})
    assert body["rate"]["currency"] == "EUR" and body["rate"]["per_minute"] in {"0.080000", "0.060000"}
    assert [route["provider"] for route in body["routes"]] == ["Atlas Voice", "Borealis Telecom"]
