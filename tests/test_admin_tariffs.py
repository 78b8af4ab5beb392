"""Admin tariff forms keep the rules the rating engine relies on."""
import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import RetailPlan, VoipPlan
from tests import factories


def test_admin_refuses_a_retail_plan_in_another_currency(app, runner, client, auth):
    assert runner.invoke(args=["demo", "--calls", "0"]).exit_code == 0
    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        db.session.commit()
        plan_id = db.session.scalar(select(VoipPlan.id).where(VoipPlan.name == "Business EUR"))
        usd_id = db.session.scalar(select(RetailPlan.id).where(RetailPlan.currency == "USD"))
    auth.login("boss@example.com", factories.PASSWORD)
    page = client.get(f"/admin/voipplan/edit/?id={plan_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/voipplan/edit/?id={plan_id}", data={
        "csrf_token": token, "name": "Business EUR", "currency": "EUR", "retail_links-0-retail_plan": str(usd_id),
        "retail_links-0-caller_prefix": "", "retail_links-0-priority": "0"})
    assert "Retail plans not in EUR" in response.get_data(as_text=True)
    with app.app_context():
        links = db.session.get(VoipPlan, plan_id).retail_links
        assert {link.retail_plan.currency for link in links} == {"EUR"}


def test_admin_edits_a_record_keeping_its_unique_name(app, client, auth):
    from portal.models import Provider

    with app.app_context():
        factories.user(role="admin", email="boss@example.com")
        provider = Provider(name="Atlas", priority=1)
        db.session.add(provider)
        db.session.commit()
        provider_id = provider.id
    auth.login("boss@example.com", factories.PASSWORD)
    page = client.get(f"/admin/provider/edit/?id={provider_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/provider/edit/?id={provider_id}", data={
        "csrf_token": token, "name": "Atlas", "priority": "5", "description": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Provider, provider_id).priority == 5
