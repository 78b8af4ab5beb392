import pytest

from portal.audit import Actor
from tests import factories

ADMIN = Actor("user:1", "admin")
CLERK = Actor("api_key:9", "switch")


@pytest.fixture
def prepaid(app_ctx):
    return factories.account(billing="prepaid")


@pytest.fixture
def postpaid(app_ctx):
    return factories.account(billing="postpaid")
