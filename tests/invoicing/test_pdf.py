"""The PDFs: what they say equals the stored invoice and the ledger; they are stored once and served
byte for byte; rendering fetches nothing from disk or network; receipts for money received."""
import hashlib
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.audit import SYSTEM
from portal.extensions import db
from portal.formatting import money
from portal.invoicing.errors import NoReceipt, UnsafeResource
from portal.invoicing.pdf import html_to_pdf
from portal.invoicing.receipts import receipt_pdf
from portal.ledger import operations
from portal.models import Account, LedgerTransaction
from tests.invoicing.conftest import (
    DE_MOBILE,
    UK_FIXED,
    UK_MOBILE,
    at,
    customer_movement,
    invoice_of,
    pdf_text,
    plain,
)

CALLS = [(at("2025-10-05 10:00"), UK_FIXED, 754), (at("2025-10-06 11:30"), UK_MOBILE, 61),
         (at("2025-10-07 09:15"), DE_MOBILE, 4321), (at("2025-10-31 20:00"), UK_MOBILE, 7)]


def _line_after(text, label):
    """The rest of the PDF line that starts with `label`."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].strip()
    raise AssertionError(f"no line starting with {label!r} in:\n{text}")


@pytest.mark.parametrize("billing, language, tax_rate", [("prepaid", "en_GB", "20"), ("postpaid", "de_DE", "19"),
                                                         ("postpaid", "fr_FR", "5.5")])
def test_totals_on_the_pdf_equal_the_stored_invoice_and_the_ledger(app, make_account, make_calls, close, billing,
                                                                   language, tax_rate):
    make_account("PDF", billing=billing, language=language, tax_rate=Decimal(tax_rate),
                 top_up="0" if billing == "postpaid" else "100")
    make_calls("PDF", CALLS)
    close()
    with app.app_context():
        invoice = invoice_of("PDF")
        text = pdf_text(invoice.pdf)
        shown = {label: _line_after(text, label) for label in ("Subtotal", "Total")}
        tax_label = next(line for line in text.splitlines() if line.startswith("Tax ("))

        def printed(amount):
            return plain(money(amount, "EUR", language))

        assert shown == {"Subtotal": printed(invoice.subtotal), "Total": printed(invoice.total)}
        assert tax_label.endswith(printed(invoice.tax))
        # The ledger says the same: the invoice's calls and close moved the customer by the total, and
        # its tax transaction holds the tax.
        assert customer_movement(invoice) == -invoice.total
        tax = db.session.scalar(select(LedgerTransaction.amount).where(LedgerTransaction.invoice_id == invoice.id,
                                                                       LedgerTransaction.type == "tax"))
        assert -tax == invoice.tax == (invoice.subtotal * Decimal(tax_rate) / 100).quantize(Decimal("0.01"))
        for line in invoice.lines:
            assert printed(line.amount) in text
        assert sum(line.amount for line in invoice.lines) == invoice.subtotal
        if billing == "postpaid":
            assert _line_after(text, "Amount due") == printed(-invoice.closing_balance) == printed(invoice.total)
            assert f"Please transfer {printed(invoice.total)} by" in text
        else:
            assert "Paid from your prepaid balance" in text
        assert "Page 1 of 1" in text


def test_every_download_is_the_stored_pdf_byte_for_byte(app, client, make_account, make_calls, close):
    from tests.api.conftest import Api, _key

    make_account("PDF")
    make_calls("PDF", CALLS)
    close()
    with app.app_context():
        invoice = invoice_of("PDF")
        number, stored, digest = invoice.number, invoice.pdf, invoice.pdf_sha256
    assert hashlib.sha256(stored).hexdigest() == digest
    api = Api(client, _key(app, "admin"))
    downloads = [api.get(f"/invoices/{number}.pdf") for _ in range(2)]
    for response in downloads:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert hashlib.sha256(response.data).hexdigest() == digest and response.data == stored
        assert response.headers["ETag"] == f'"{digest}"'


def test_the_annex_lists_every_call_and_pages_are_numbered(app, make_account, make_calls, close):
    make_account("ANX", timezone="Europe/London")
    calls = [(at(f"2025-10-{day:02d} {hour:02d}:00"), UK_FIXED, 60 + day) for day in range(1, 31)
             for hour in (8, 10, 12, 14, 16, 18)]
    make_calls("ANX", calls)
    close(annex=True)
    with app.app_context():
        invoice = invoice_of("ANX")
        reader = PdfReader(io.BytesIO(invoice.pdf))
        pages = len(reader.pages)
        text = pdf_text(invoice.pdf)
    assert pages >= 3
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text
    assert text.count("+442071234567") == len(calls)
    # Local times (London is UTC+1 until 26 October) and the call's own price with four decimals.
    assert "2025-10-01 09:00:00" in text and "2025-10-30 08:00:00" in text
    assert "1:01" in text and "€0.0203" in text  # 61 s at €0.02/min


def test_money_is_formatted_for_the_currency_and_the_accounts_language(app, make_account, make_calls, close):
    make_account("DE", billing="postpaid", language="de_DE", top_up="0", timezone="Europe/Berlin")
    make_calls("DE", [(at("2025-10-05 10:00"), DE_MOBILE, 60000)])  # 1,000 min at 0.07 = 70.00
    close()
    with app.app_context():
        text = pdf_text(invoice_of("DE").pdf)
    assert "70,00 €" in text and "1.000,00" in text
    assert "01.10.2025 – 31.10.2025" in text


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://example.com/steal.css">',
    '<img src="https://example.com/logo.png">',
    '<p style="background: url(file:///etc/hostname)">x</p>',
    '<img src="logo.png">',
    ('<img src="data:image/svg+xml;utf8,<svg xmlns=\'http://www.w3.org/2000/svg\'>'
     '<image href=\'file:///etc/passwd\'/></svg>">'),
])
def test_rendering_refuses_file_and_network_urls(app_ctx, html):
    with pytest.raises(UnsafeResource) as refused:
        html_to_pdf(f"<html><body>{html}<p>Invoice</p></body></html>")
    assert refused.value.fields["urls"]


def test_embedded_data_uris_are_rendered(app_ctx):
    pdf = html_to_pdf('<img src="data:image/svg+xml;utf8,<svg xmlns=\'http://www.w3.org/2000/svg\' width=\'4\' '
                      'height=\'4\'/>"><p>Invoice</p>')
    assert pdf.startswith(b"%PDF") and "Invoice" in pdf_text(pdf)


def test_every_payment_and_top_up_has_a_receipt(app, make_account):
    make_account("RCP", top_up="250.50")
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "RCP"))
        payment = db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.type == "payment"))
        first, again = receipt_pdf(payment), receipt_pdf(payment)
        text = pdf_text(first)
        assert first == again  # made on demand, deterministically
        assert "Receipt" in text and f"RCPT-{payment:08d}" in text and "£" not in text
        assert _line_after(text, "Amount received") == "€250.50" and account.name in text
        operations.return_payment(account, Decimal("50.50"), SYSTEM)
        db.session.commit()
        refund = db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.type == "return"))
        with pytest.raises(NoReceipt):
            receipt_pdf(refund)
