"""The customer's invoices page: their own invoices, credit notes and receipts, never anyone else's."""
import pytest
from sqlalchemy import select

from portal.audit import SYSTEM
from portal.customer import invoices as customer_invoices
from portal.extensions import db
from portal.invoicing.credit_notes import issue_credit_note
from portal.models import Account, LedgerTransaction
from tests import factories
from tests.factories import PASSWORD
from tests.invoicing.conftest import UK_FIXED, at, invoice_of, pdf_text


@pytest.fixture
def two_customers(app, make_account, make_calls, close):
    """ACME and BOB with an October invoice each; ACME's is partly credited. Returns their numbers."""
    for code in ("ACME", "BOB"):
        make_account(code)
        make_calls(code, [(at("2025-10-05 10:00"), UK_FIXED, 600)])
    close()
    with app.app_context():
        for code in ("ACME", "BOB"):
            account = db.session.scalar(select(Account).where(Account.code == code))
            factories.user(role="customer", email=f"{code.lower()}@example.com", account_obj=account)
        note = issue_credit_note(invoice_of("ACME"), "Outage on 5 October", SYSTEM, amount="0.05")
        db.session.commit()
        return {"ACME": invoice_of("ACME").number, "BOB": invoice_of("BOB").number, "note": note.number}


def _receipt_of(code):
    return db.session.scalar(select(LedgerTransaction.id).join(Account).where(
        Account.code == code, LedgerTransaction.type == "payment"))


def test_a_customer_lists_and_downloads_only_their_own_documents(app, client, auth, two_customers):
    auth.login("acme@example.com", PASSWORD)
    page = client.get("/invoices")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'data-number="{two_customers["ACME"]}"' in body and f'data-number="{two_customers["note"]}"' in body
    assert two_customers["BOB"] not in body
    # 10 minutes at 0.02 with 20% tax; the credit note gives back 0.05 and its tax.
    assert f"corrects {two_customers['ACME']}" in body and "€0.24" in body and "€0.06" in body

    own = client.get(f"/invoices/{two_customers['ACME']}.pdf")
    with app.app_context():
        assert own.status_code == 200 and own.data == invoice_of("ACME").pdf
        acme_receipt, bob_receipt = _receipt_of("ACME"), _receipt_of("BOB")
    assert "Credit note" in pdf_text(client.get(f"/invoices/{two_customers['note']}.pdf").data)
    assert client.get(f"/invoices/{two_customers['BOB']}.pdf").status_code == 404
    assert client.get("/invoices/INV-1999-000001.pdf").status_code == 404

    assert f"/receipts/{acme_receipt}.pdf" in body
    receipt = client.get(f"/receipts/{acme_receipt}.pdf")
    assert receipt.status_code == 200 and "€100.00" in pdf_text(receipt.data)
    assert client.get(f"/receipts/{bob_receipt}.pdf").status_code == 404


def test_the_year_filter_shows_one_years_documents_and_receipts(app, client, auth, two_customers, make_calls,
                                                                close):
    make_calls("ACME", [(at("2024-12-05 10:00"), UK_FIXED, 60)])
    december = close("2024-12", "ACME").created[0]
    auth.login("acme@example.com", PASSWORD)
    everything = client.get("/invoices").get_data(as_text=True)
    assert december in everything and two_customers["ACME"] in everything and "/receipts/" in everything
    of_2024 = client.get("/invoices?year=2024").get_data(as_text=True)
    assert december in of_2024 and two_customers["ACME"] not in of_2024
    assert "No payments yet" in of_2024  # the top-up was made this year
    assert two_customers["ACME"] not in client.get("/invoices?year=1999").get_data(as_text=True) or \
        '<option value="">All years</option>' in of_2024  # an unknown year shows everything


def test_the_pages_of_the_list(app, client, auth, two_customers, monkeypatch):
    monkeypatch.setattr(customer_invoices, "PER_PAGE", 1)
    auth.login("acme@example.com", PASSWORD)
    first = client.get("/invoices").get_data(as_text=True)
    second = client.get("/invoices?page=2").get_data(as_text=True)
    # Newest first: the credit note, then the invoice it corrects.
    assert f'data-number="{two_customers["note"]}"' in first and f'data-number="{two_customers["ACME"]}"' not in first
    assert f'data-number="{two_customers["ACME"]}"' in second and 'aria-label="Invoice pages"' in second
    assert f'data-number="{two_customers["ACME"]}"' in client.get("/invoices?year=2025&page=2").get_data(as_text=True)
    assert '<option value="2025" selected>' in client.get("/invoices?year=2025").get_data(as_text=True)
    assert "No invoices yet" in client.get("/invoices?year=2025&page=3").get_data(as_text=True)


def test_staff_and_strangers_have_no_customer_invoices_page(app, client, auth, two_customers):
    assert client.get("/invoices").status_code == 302  # to sign in
    assert client.get(f"/invoices/{two_customers['ACME']}.pdf").status_code == 302
    with app.app_context():
        factories.user(role="accountant", email="books@example.com")
        db.session.commit()
    auth.login("books@example.com", PASSWORD)
    assert client.get("/invoices").status_code == 403
