"""The API contract as schemathesis holds it, shared by the bounded run in the suite and a long run
against a served app (`SCHEMATHESIS_HOOKS=tests.api.schemathesis_checks st run …`, README).

Schemathesis's `positive_data_acceptance` expects a request its document calls valid to be taken.
The document is exact wherever JSON Schema can state a rule, so every such refusal is a finding,
except two kinds, which `positive_data_acceptance_where_expressible` allows (run it instead):
- 422: a rule about the data (an unknown currency, a VoIP plan in another currency, a period not
  over, a return above the balance), which no static document can know;
- 400 for what JSON Schema cannot state (`inexpressible`): the content of a text/csv body (its
  header, its cells), the lines of one deck against each other, `to` against `from`.

Its `negative_data_rejection` expects a request the document calls invalid to be refused; a text/csv
body generated as a number or an object is sent as its text, which is a CSV like any other, so
`negative_data_rejection_as_sent` (run it instead) does not count those.
"""
import json

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

#: Deck problems that relate a line to another, or one field of a line to another.
CROSS_LINE = ("duplicate of line", "effective_to must be after effective_from")


def _error(response):
    try:
        return json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return {}


def inexpressible(case, response):
    """Whether a 400 answers something JSON Schema cannot say (see the module's docstring)."""
    if response.status_code != 400:
        return False
    error = _error(response)
    if case.media_type == "text/csv" and error.get("code") in ("invalid_csv", "invalid_rates"):
        return True
    if error.get("code") == "invalid_rates":
        lines = error.get("fields", {}).get("lines", {})
        return all(problem.startswith(CROSS_LINE) for problems in lines.values() for problem in problems)
    return error.get("fields") == {"to": "after from"}


@schemathesis.check
def positive_data_acceptance_where_expressible(ctx, response, case):
    """`positive_data_acceptance`, allowing the refusals the module's docstring lists."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422 or inexpressible(case, response):
            return None
        raise


@schemathesis.check
def negative_data_rejection_as_sent(ctx, response, case):
    """`negative_data_rejection`, but for a text/csv body made invalid only in its JSON type."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        negative = {location for location, info in case.meta.components.items() if info.mode.is_negative}
        if case.media_type == "text/csv" and negative == {ParameterLocation.BODY}:
            return None
        raise
