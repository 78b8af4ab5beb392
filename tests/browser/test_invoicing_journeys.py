"""An accountant closes a month and credits an invoice in a real browser."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Invoice
from tests import factories
from tests.browser.test_sign_in_journeys import sign_in
from tests.factories import PASSWORD
from tests.invoicing.conftest import UK_FIXED, at, make_account, make_calls, voip_plan_id  # noqa: F401

pytestmark = pytest.mark.browser


def test_accountant_closes_a_month_downloads_and_credits_an_invoice(page, live_server, app, make_account,  # noqa: F811
                                                                     make_calls):  # noqa: F811
    make_account("ACME")
    make_calls("ACME", [(at("2025-10-05 10:00"), UK_FIXED, 600)])
    with app.app_context():
        factories.user(role="accountant", email="books@example.com")
        db.session.commit()
    sign_in(page, live_server, "books@example.com", PASSWORD)
    page.wait_for_url(f"{live_server}/admin/")
    page.goto(f"{live_server}/admin/invoice/")
    page.click("text=Close a month")
    page.fill("input[name=period]", "2025-10")
    page.click("button:has-text('Issue invoices')")
    issued = page.locator("[data-number]").first
    issued.wait_for()
    number = issued.inner_text()
    with app.app_context():
        stored = db.session.scalar(select(Invoice).where(Invoice.number == number)).pdf

    page.click("text=All invoices")
    with page.expect_download() as download:
        page.click("td >> text=PDF")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read() == stored

    page.click("a[title='Credit note']")
    page.fill("input[name=reason]", "Outage on 5 October")
    page.click("button:has-text('Issue credit note')")
    assert "Credit note CN-" in page.locator(".alert").first.inner_text()
    with app.app_context():
        assert db.session.scalar(select(Invoice.status).where(Invoice.number == number)) == "credited"
