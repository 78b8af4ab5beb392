"""The key pages in a real browser under the Content-Security-Policy: the browser reports no
violation and no script error, and the scripts still work (charts drawn, select2 and date pickers
set up, filters, confirmations, inline rows, the year picker). With BROWSER_ARTIFACTS set, each page
is also saved as a screenshot, wide and at a phone's 390 px, for a person to look at."""
import os
from urllib.parse import urljoin

import pytest

from portal.demo import ADMIN, CUSTOMERS
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.browser

#: Reports every violation of the policy to Python, from every document the page loads.
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => window.reportViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`));
"""


@pytest.fixture
def demo(runner):
    assert runner.invoke(args=["demo", "--calls", "60"]).exit_code == 0


@pytest.fixture
def problems(page):
    """Violations, script errors and console errors seen so far; the page answers dialogs with "no"."""
    seen = []
    page.expose_function("reportViolation", lambda text: seen.append(f"CSP: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: seen.append(f"script error: {error}"))
    page.on("console", lambda message: message.type == "error" and not is_the_page_status(page, message)
            and seen.append(f"console: {message.text} ({message.location.get('url')})"))
    page.on("dialog", lambda dialog: (seen.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    return seen


def is_the_page_status(page, message):
    """Chromium logs a page answered 401 or 404 (a refused sign-in, the error page) as a failed load,
    and the /favicon.ico it asks for on its own (the pages name no icon)."""
    return message.text.startswith("Failed to load resource") and message.location.get("url") in (
        page.url, urljoin(page.url, "/favicon.ico"))


def shot(page, name):
    if ARTIFACTS:
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, f"csp-{name}.png"), full_page=True)


def visit(page, base, path, name):
    """Open a page; with BROWSER_ARTIFACTS, photograph it wide and at a phone's width."""
    page.goto(f"{base}{path}")
    page.wait_for_load_state("load")
    if ARTIFACTS:
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            shot(page, f"{name}-{width}")


def test_customer_pages_run_under_the_policy(page, live_server, demo, problems):
    _, email, password = CUSTOMERS[1]
    sign_in(page, live_server, email, password)
    page.wait_for_url(f"{live_server}/")
    for path, name in [("/", "customer-dashboard"), ("/profile", "customer-profile"),
                       ("/password", "password"), ("/no-such-page", "not-found"), ("/invoices", "customer-invoices")]:
        visit(page, live_server, path, name)
    year = page.locator("select#year option").nth(1).get_attribute("value")
    page.select_option("select#year", year)
    page.wait_for_url(f"{live_server}/invoices?year={year}")
    assert problems == []


def test_sign_in_page_runs_under_the_policy(page, live_server, problems):
    visit(page, live_server, "/login", "login")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert problems == []


def test_admin_pages_run_under_the_policy(page, live_server, demo, problems):
    sign_in(page, live_server, ADMIN[1], ADMIN[2])
    page.wait_for_url(f"{live_server}/admin/")
    visit(page, live_server, "/admin/", "admin-dashboard")
    for chart in ("traffic-calls", "traffic-revenue"):
        assert page.evaluate(f"Chart.getChart(document.getElementById('{chart}')).data.labels.length") == 30

    visit(page, live_server, "/admin/cdr/", "admin-calls")
    page.click("text=Add Filter")
    page.click(".field-filters a.filter >> nth=0")
    assert page.locator("#filter_form .filters tr").count() == 1
    shot(page, "admin-calls-filter")

    visit(page, live_server, "/admin/provider/", "admin-providers")
    page.click("text=With selected")
    page.click(".dropdown-menu >> text=Delete")
    page.locator("a[data-role=x-editable]").first.click()
    assert page.locator(".editable-popup, .popover").first.is_visible()
    page.keyboard.press("Escape")
    page.locator("button[title='Delete Record']").first.click()
    assert [text for text in problems if text.startswith("dialog:")] == [
        "dialog: Please select at least one record.", "dialog: Are you sure you want to delete this record?"]
    problems.clear()
    assert page.locator("tbody tr").count() == 2

    visit(page, live_server, "/admin/retail_rates/new/", "admin-rate-create")
    assert page.locator("select[name=plan][data-role=select2]").count() == 1
    assert page.locator(".select2-container").count() >= 1
    page.click("input[name=effective_from]")
    assert page.locator(".daterangepicker").first.is_visible()
    page.click(".select2-container")
    assert page.locator(".select2-results li").count() >= 1
    shot(page, "admin-rate-create-pickers")

    visit(page, live_server, "/admin/provider/edit/?id=1", "admin-provider-edit")
    gateways = page.locator("#gateways > .inline-field-list > .inline-field")
    before = gateways.count()
    page.click("#gateways-button")
    assert gateways.count() == before + 1
    shot(page, "admin-provider-new-gateway")

    for path, name in [("/admin/account/", "admin-accounts"), ("/admin/account/new/", "admin-account-create"),
                       ("/admin/peakschedule/edit/?id=1", "admin-peak-edit"), ("/admin/voipplan/new/", "admin-voip-plan-create"),
                       ("/admin/account/money/?id=1", "admin-account-money"), ("/admin/invoice/", "admin-invoices"),
                       ("/admin/invoice/close/", "admin-close"), ("/admin/ledgertransaction/", "admin-transactions"),
                       ("/admin/cdr/details/?id=1", "admin-call-details"),
                       ("/admin/no-such-page", "admin-not-found")]:
        visit(page, live_server, path, name)
    assert problems == []
