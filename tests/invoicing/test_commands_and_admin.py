"""`flask invoices …` and the admin pages an accountant closes a month and downloads PDFs with."""
import hashlib
import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Invoice
from portal.models.types import utcnow
from tests import factories
from tests.factories import PASSWORD
from tests.invoicing.conftest import UK_FIXED, at, invoice_of, pdf_text

YEAR = utcnow().year


def _seed(make_account, make_calls):
    for code in ("ACME", "BOB"):
        make_account(code)
        make_calls(code, [(at("2025-10-05 10:00"), UK_FIXED, 60)])


def test_flask_invoices_run_closes_a_month_with_a_progress_bar_and_again_does_nothing(runner, make_account,
                                                                                     make_calls):
    _seed(make_account, make_calls)
    first = runner.invoke(args=["invoices", "run", "--period", "2025-10"])
    assert first.exit_code == 0, first.output
    assert "Closing 2025-10" in first.output and f"Issued 2 invoice(s): INV-{YEAR}-000001 … INV-{YEAR}-000002" \
        in first.output
    again = runner.invoke(args=["invoices", "run", "--period", "2025-10", "--account", "ACME"])
    assert again.exit_code == 0 and "Issued no new invoice." in again.output and "1 already issued" in again.output
    bad = runner.invoke(args=["invoices", "run", "--period", "October"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_flask_invoices_credit_pdf_and_receipt(app, runner, make_account, make_calls, tmp_path):
    _seed(make_account, make_calls)
    runner.invoke(args=["invoices", "run", "--period", "2025-10", "--annex"])
    number = f"INV-{YEAR}-000001"
    credit = runner.invoke(args=["invoices", "credit", number, "--reason", "Outage"])  # 1 min at 0.02; 20% of it rounds to 0.00
    assert credit.exit_code == 0 and f"Issued CN-{YEAR}-000001: €0.02 credited" in credit.output
    target = tmp_path / "copy.pdf"
    written = runner.invoke(args=["invoices", "pdf", number, "-o", str(target)])
    with app.app_context():
        invoice = invoice_of("ACME")
        assert hashlib.sha256(target.read_bytes()).hexdigest() == invoice.pdf_sha256 and written.exit_code == 0
        assert "Annex: calls" in pdf_text(invoice.pdf)
    receipt = tmp_path / "receipt.pdf"
    assert runner.invoke(args=["invoices", "receipt", "1", "-o", str(receipt)]).exit_code == 0
    assert "Receipt" in pdf_text(receipt.read_bytes())
    assert runner.invoke(args=["invoices", "credit", "INV-1999-000001", "--reason", "x"]).exit_code != 0


def test_an_accountant_closes_a_month_and_downloads_the_pdf_in_the_admin(app, client, auth, make_account,
                                                                         make_calls):
    _seed(make_account, make_calls)
    with app.app_context():
        factories.user(role="accountant", email="books@example.com")
        db.session.commit()
    auth.login("books@example.com", PASSWORD)
    page = client.get("/admin/invoice/close/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post("/admin/invoice/close/", data={"csrf_token": token, "period": "2025-10", "account": ""})
    assert done.status_code == 200 and f'data-number="INV-{YEAR}-000002"' in done.get_data(as_text=True)
    listing = client.get("/admin/invoice/").get_data(as_text=True)
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).order_by(Invoice.id))
        link, stored = f"/admin/invoice/pdf/{invoice.id}", invoice.pdf
    assert link in listing
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", listing)  # issue times, readable
    download = client.get(link)
    assert download.status_code == 200 and download.data == stored
    assert client.get("/admin/invoice/receipts/").status_code == 200
    assert client.get("/admin/invoice/receipt/1").data.startswith(b"%PDF")
    credit_page = client.get(f"/admin/invoice/credit/{invoice.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', credit_page).group(1)
    credited = client.post(f"/admin/invoice/credit/{invoice.id}", data={"csrf_token": token, "reason": "Outage"})
    assert credited.status_code == 302
    with app.app_context():
        assert db.session.get(Invoice, invoice.id).status == "credited"
    assert client.get("/admin/product/").status_code == 403  # products and plans are the admin's
