import pytest

from portal.auth.api_keys import create_api_key
from portal.extensions import db
from tests import factories


class Api:
    """A client that speaks JSON with a bearer key."""

    def __init__(self, client, token):
        self.client = client
        self.token = token

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, path, headers=None, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(headers), **kwargs)

    def patch(self, path, json=None, headers=None, **kwargs):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self._headers(headers), **kwargs)


def _key(app, role):
    with app.app_context():
        _, token = create_api_key(f"{role}-{factories.next_number()}", role)
        db.session.commit()
        return token


@pytest.fixture
def api(app, client):
    return Api(client, _key(app, "admin"))


@pytest.fixture
def switch_api(app, client):
    return Api(client, _key(app, "switch"))


@pytest.fixture
def plans(app):
    """A EUR and a USD VoIP plan; ids."""
    with app.app_context():
        eur, usd = factories.voip_plan("EUR"), factories.voip_plan("USD")
        db.session.commit()
        return {"EUR": eur.id, "USD": usd.id}
