"""Key journeys in a real browser: each demo role signs in through the form and lands where it should."""
import pytest

from portal.demo import ACCOUNTANT, ADMIN, CUSTOMERS

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo", "--calls", "0"])
    assert result.exit_code == 0, result.output


def sign_in(page, base, email, password):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_customer_signs_in_and_sees_own_balance(page, live_server, demo):
    _, email, password = CUSTOMERS[0]
    sign_in(page, live_server, email, password)
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == "Acme Widgets Ltd"
    assert page.locator("[data-figure=balance]").inner_text().startswith("€")
    page.click("text=Profile")
    assert "SE1 4PG" in page.content()
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server}/login")


@pytest.mark.parametrize("who", [ADMIN, ACCOUNTANT], ids=["admin", "accountant"])
def test_staff_sign_in_to_the_admin_dashboard(page, live_server, demo, who):
    _, email, password = who
    sign_in(page, live_server, email, password)
    page.wait_for_url(f"{live_server}/admin/")
    assert page.locator("[data-figure=accounts]").inner_text() == "3"
    page.goto(f"{live_server}/admin/invoice/")
    assert page.locator("h4, .nav").first.is_visible()


def test_admin_sees_every_demo_account(page, live_server, demo):
    sign_in(page, live_server, ADMIN[1], ADMIN[2])
    page.wait_for_url(f"{live_server}/admin/")
    page.goto(f"{live_server}/admin/account/")
    body = page.content()
    for code in ("1001", "1002", "2001"):
        assert code in body


def test_wrong_password_shows_a_message(page, live_server, demo):
    sign_in(page, live_server, ADMIN[1], "not-the-password")
    assert page.locator(".alert-danger").inner_text().strip() == "Wrong e-mail or password."
    assert page.url == f"{live_server}/login"


def test_customer_downloads_an_invoice_from_the_invoices_page(page, live_server, demo, app):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Account, Invoice

    _, email, password = CUSTOMERS[1]
    sign_in(page, live_server, email, password)
    page.wait_for_url(f"{live_server}/")
    page.click("nav >> text=Invoices")
    page.wait_for_url(f"{live_server}/invoices")
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).join(Account).where(Account.email == email))
        number, stored = invoice.number, invoice.pdf
    row = page.locator(f"tr[data-number='{number}']")
    assert "€" in row.inner_text()
    with page.expect_download() as download:
        row.locator("text=PDF").click()
    assert download.value.suggested_filename == f"{number}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read() == stored
