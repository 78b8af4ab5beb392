"""The OpenAPI document describes every endpoint, and generated requests never get a 500 or an
answer that does not match it (schemathesis): the contract is exact both ways."""
import collections
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.auth.api_keys import create_api_key
from portal.extensions import db
from tests.api import schemathesis_checks  # noqa: F401 - registers the contract's own check

#: What a switch calls, all on the demo's account 1001 in the document's examples.
SWITCH_PATHS = {"/authorize", "/cdrs", "/cdrs/{uuid}", "/rates/lookup"}


def test_the_document_needs_no_key_and_lists_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, item in response.get_json()["paths"].items() for method in item}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_endpoint":
            path = rule.rule[len("/api/v1"):].replace("<int:plan_id>", "{plan_id}")
            path = path.replace("<code>", "{code}").replace("<other_than(rerate):uuid>", "{uuid}").replace("<other_than(run):number>", "{number}").replace("<number>", "{number}")
            for kind in ("retail-plans", "carrier-plans"):
                candidate = path.replace("<any('retail-plans', 'carrier-plans'):kind>", kind)
                for method in rule.methods - {"HEAD", "OPTIONS"}:
                    routes.add((candidate, method))
    assert routes == documented


@pytest.mark.parametrize("method, path, body", [
    ("get", "/cdrs/%00", None),
    ("get", "/cdrs?account=%00", None),
    ("get", "/cdrs?status=rated&status=%00", None),
    ("get", "/rates/lookup?account=%00&number=4915112345678", None),
    ("get", "/accounts/1001%00", None),
    ("get", "/invoices?account=%00", None),
    ("post", "/cdrs?format=asterisk&timezone=%00", None),
    ("post", "/authorize", {"account": "\x00", "callee": "4915112345678"}),
    ("post", "/authorize", {"account": "1001", "callee": "4915112345678", "uuid": "call-\x00"}),
    ("post", "/cdrs/rerate", {"from": "2026-10-01T00:00:00Z", "to": "2026-10-02T00:00:00Z", "account": "\x00"}),
    ("post", "/retail-plans", {"name": "Retail\x00", "currency": "EUR"}),
    ("post", "/ban-plans", {"name": "Ban", "prefixes": ["19\x00"]}),
    ("post", "/accounts", {"code": "2001", "name": "N", "email": "n@example.com", "currency": "EUR",
                           "billing": "prepaid", "profile": {"city": "\x00"}}),
])
def test_a_nul_anywhere_in_a_request_is_refused_not_a_database_error(api, method, path, body, runner):
    """PostgreSQL text cannot hold U+0000: the API refuses it at the door, on every database."""
    assert runner.invoke(args=["demo", "--calls", "0", "--no-invoices"]).exit_code == 0
    response = getattr(api, method)(path, **({} if body is None else {"json": body}))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] in ("invalid_input", "invalid_json")


def test_very_deep_json_is_invalid_json_not_a_500(api):
    response = api.post("/authorize", data="[" * 100_000 + "]" * 100_000, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_json")


@pytest.fixture
def token(app):
    with app.app_context():
        _, token = create_api_key("schemathesis", "admin")
        db.session.commit()
    return token


def test_generated_requests_never_fail_or_break_the_schema(app, runner, token):
    """Every operation, with generated bodies and parameters (schemathesis strategies run by
    hypothesis) and with the document's own examples: no 500, and every answer matches the
    document. The demo operator with a few calls is loaded first and the examples name its
    account, so allowed authorizations, rated CDRs and price lookups are checked too, not only
    refusals. (The schemathesis pytest plugin does not run under this pytest, so the operations
    are driven here.)"""
    assert runner.invoke(args=["demo", "--calls", "50", "--no-invoices"]).exit_code == 0
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    # The switch's operations first: the admin ones change account 1001 at random (a generated PATCH
    # may suspend it, a transaction take its money), and the allowed answers must be checked too.
    operations = sorted((result.ok() for result in api_schema.get_all_operations()),
                        key=lambda operation: operation.label.split(" ", 1)[1] not in SWITCH_PATHS)
    assert len(operations) >= 18
    calls, answers = [], []
    for operation in operations:
        for strategy in [*operation.get_strategies_from_examples(), operation.as_strategy()]:
            @given(case=strategy)
            @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def check(case):
                calls.append(case.operation.label)
                response = case.call_and_validate(headers=headers, checks=[not_a_server_error,
                                                                           response_schema_conformance],
                                                  excluded_checks=None)
                answers.append((case.operation.label, response.status_code, response.text))

            check()
    assert len(set(calls)) == len(operations)  # every operation was exercised
    succeeded = {label for label, status, _ in answers if status == 200}
    assert {"POST /authorize", "POST /cdrs", "GET /cdrs/{uuid}", "GET /rates/lookup"} <= succeeded
    authorizations = [text for label, _, text in answers if label == "POST /authorize"]
    assert any('"allowed":true' in text for text in authorizations), authorizations[:3]
    assert any(label == "GET /cdrs" and '"status":"rated"' in text for label, _, text in answers)


#: Every phase and every check but three: the built-in positive_data_acceptance and
#: negative_data_rejection, replaced by the contract's own (`schemathesis_checks`), and ignored_auth,
#: which schemathesis cannot run against an app in the same process (its WSGI transport is given an
#: option werkzeug does not take); the long run over HTTP (README) runs it. Bounded to stay well
#: under two minutes on one core.
RUN = """
[headers]
Authorization = "Bearer {token}"
[generation]
max-examples = {examples}
[phases.stateful]
max-steps = 20
[checks.positive_data_acceptance]
enabled = false
[checks.negative_data_rejection]
enabled = false
[checks.ignored_auth]
enabled = false
"""


def test_every_phase_and_check_finds_the_contract_exact(app, runner, token):
    """The document's examples, coverage of each of its constraints (boundaries, each value of an
    enum, each rule broken), fuzzing and stateful sequences, over every operation: no server error,
    no undocumented status, every answer as documented, no request the document calls invalid
    taken, and none it calls valid refused but for a rule it cannot state (`schemathesis_checks`)."""
    assert runner.invoke(args=["demo", "--calls", "20", "--no-invoices"]).exit_code == 0
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=SchemathesisConfig.from_str(
        RUN.format(token=token, examples=10)))
    started, failures, checked = time.monotonic(), [], collections.Counter()
    for event in engine_for(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"{getattr(event, 'label', '')}: {getattr(event, 'value', getattr(event, 'exception', ''))}")
        recorder = getattr(event, "recorder", None)
        for case_id, checks in (recorder.checks.items() if recorder else ()):
            for check in checks:
                checked[check.name] += 1
                if check.failure_info is not None:
                    failure, interaction = check.failure_info.failure, recorder.interactions.get(case_id)
                    answer = interaction.response if interaction else None
                    failures.append(f"{failure.code} {failure.operation}: {failure.title}; "
                                    f"{interaction and interaction.request.uri} {interaction and interaction.request.body}"
                                    f" -> {answer and answer.status_code} {answer and answer.content[:300]}")
    assert failures == []
    assert checked["not_a_server_error"] > 1000 and checked["positive_data_acceptance_where_expressible"] > 500
    assert checked["negative_data_rejection_as_sent"] > 500
    assert time.monotonic() - started < 100
