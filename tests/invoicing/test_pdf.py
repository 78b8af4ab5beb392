"""The PDFs: what they say equals the stored invoice and the ledger; they are stored once and served
byte for byte; rendering fetches nothing from disk or network; receipts for money received."""
import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.audit import SYSTEM
from portal.extensions import db
from portal.formatting import money
from portal.invoicing.errors import NoReceipt, UnsafeResource
from portal.invoicing.pdf import html_to_pdf, logo_data_uri
from portal.invoicing.products import assign_plan, create_plan
from portal.invoicing.receipts import receipt_pdf
from portal.ledger import operations
from portal.ledger.vouchers import create_vouchers, redeem_voucher
from portal.models import Account, Cdr, LedgerAccount, LedgerTransaction, Posting
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


def _printed(amount, language="en_GB"):
    return plain(money(amount, "EUR", language))


def _flowing(text):
    """The PDF's text with its line breaks and runs of spaces as single spaces, to find sentences."""
    return " ".join(text.split())


def _customer_sum(account_id, *conditions):
    """The sum of the customer's postings in the transactions `conditions` select."""
    return db.session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).join(LedgerTransaction)
                             .join(LedgerAccount, LedgerAccount.id == Posting.ledger_account_id)
                             .where(LedgerAccount.account_id == account_id, *conditions))


@pytest.mark.parametrize("top_up, included_minutes", [("100", None), ("100", 3), ("0", 3)],
                         ids=["calls-only", "included-minutes", "balance-short"])
def test_a_prepaid_invoice_shows_the_usage_paid_from_the_balance_and_what_is_left_to_pay(
        app, make_account, make_calls, close, top_up, included_minutes):
    make_account("PRE", top_up=top_up)
    if included_minutes:
        with app.app_context():
            plan = create_plan("Mobile 3", "EUR", Decimal("5.00"), included_minutes=included_minutes,
                               prefixes=["447"])
            assign_plan(db.session.scalar(select(Account).where(Account.code == "PRE")), plan, date(2025, 10, 1))
            db.session.commit()
    make_calls("PRE", CALLS)
    close()
    with app.app_context():
        invoice = invoice_of("PRE")
        text = pdf_text(invoice.pdf)
        # From the postings: the usage is what the invoice's calls were charged as they came in, with
        # what the close gave back for included minutes and added or took off by rounding; the rest
        # of the total is the close's fees and tax.
        of_calls = LedgerTransaction.cdr_id.in_(select(Cdr.id).where(Cdr.invoice_id == invoice.id))
        of_close = LedgerTransaction.invoice_id == invoice.id
        charged = -_customer_sum(invoice.account_id, of_calls)
        usage = charged - _customer_sum(invoice.account_id, of_close,
                                        LedgerTransaction.type.in_(("call_reversal", "adjustment")))
        fees_and_tax = -_customer_sum(invoice.account_id, of_close, LedgerTransaction.type.in_(("fee", "tax")))
        assert usage + fees_and_tax == invoice.total
        assert charged == sum(price for price in db.session.scalars(select(Cdr.price).where(
            Cdr.invoice_id == invoice.id)))
        assert _line_after(text, "Usage paid from balance") == _printed(usage)
        assert _line_after(text, "Fees and tax paid from balance") == _printed(fees_and_tax)
        if included_minutes:
            assert usage < charged and fees_and_tax > invoice.tax  # minutes given back; the plan's fee
        due = max(-invoice.closing_balance, Decimal(0))
        assert _line_after(text, "Amount due") == _printed(due)
        if top_up == "0":
            assert due == invoice.total > 0
            assert f"Your balance is {_printed(due)} short: please top up." in _flowing(text)
        else:
            assert due == 0 and "Nothing to pay." in _flowing(text)


def test_the_annex_prices_are_laid_out_like_the_invoices_other_money(app, make_account, make_calls, close):
    make_account("DEA", language="de_DE", timezone="Europe/Berlin")
    make_calls("DEA", [(at("2025-10-06 11:30"), UK_MOBILE, 61)])  # 61 s at 0.06/min: 0.0610
    close(annex=True)
    with app.app_context():
        text = pdf_text(invoice_of("DEA").pdf)
    assert "0,06 €" in text and "0,0610 €" in text
    assert "€0" not in text


def _balance_at(account_id, moment):
    """The customer's ledger balance with every transaction posted up to `moment`."""
    return _customer_sum(account_id, LedgerTransaction.created_at <= moment)


def test_the_statement_on_the_pdf_equals_the_stored_invoice_and_the_ledger_at_each_close(
        app, make_account, make_calls, close):
    make_account("BAL", top_up="100")
    make_calls("BAL", CALLS)
    close()
    with app.app_context():
        operations.payment(db.session.scalar(select(Account).where(Account.code == "BAL")), Decimal("20.00"), SYSTEM)
        db.session.commit()
    make_calls("BAL", [(at("2025-11-03 10:00"), UK_MOBILE, 600)])
    close("2025-11")
    with app.app_context():
        october, november = invoice_of("BAL"), invoice_of("BAL", "2025-11")
        for invoice in (october, november):
            text = pdf_text(invoice.pdf)
            shown = {label: _line_after(text, label) for label in (
                "Opening balance", "Payments and top-ups", "Charges, this invoice included", "Closing balance")}
            assert shown == {"Opening balance": _printed(invoice.opening_balance),
                             "Payments and top-ups": _printed(invoice.payments),
                             "Charges, this invoice included": _printed(-invoice.charges),
                             "Closing balance": _printed(invoice.closing_balance)}
            # Every call of the account was on an invoice by then: the closing balance is the ledger's.
            assert invoice.closing_balance == _balance_at(invoice.account_id, invoice.issued_at)
        assert october.opening_balance == 0 and october.payments == Decimal(100)
        assert november.opening_balance == october.closing_balance and november.payments == Decimal(20)
        assert november.closing_balance == db.session.scalar(select(Account.balance).where(Account.code == "BAL"))


SELLER = {"COMPANY_NAME": "Nordlicht Telefonie GmbH", "COMPANY_ADDRESS": "Hafenstraße 7\n20457 Hamburg\nDeutschland",
          "COMPANY_VAT_ID": "DE811907980", "COMPANY_BANK": "IBAN DE89 3704 0044 0532 0130 00",
          "COMPANY_EMAIL": "rechnung@nordlicht.example"}


@pytest.fixture
def fresh_logo_cache():
    """The logo is read once per path and kept: each test starts and ends without it."""
    logo_data_uri.cache_clear()
    yield
    logo_data_uri.cache_clear()


def test_seller_details_and_logo_come_from_the_configuration(app, make_account, make_calls, close, tmp_path,
                                                             fresh_logo_cache):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (24, 12), (23, 50, 77)).save(logo)
    app.config.update(SELLER, COMPANY_LOGO=str(logo))
    make_account("SELL", billing="postpaid", top_up="0")
    make_calls("SELL", CALLS)
    close()
    with app.app_context():
        pdf = invoice_of("SELL").pdf
    text = pdf_text(pdf)
    for detail in ("Nordlicht Telefonie GmbH", "Hafenstraße 7", "20457 Hamburg", "Deutschland", "DE811907980",
                   "IBAN DE89 3704 0044 0532 0130 00", "rechnung@nordlicht.example"):
        assert detail in text, detail
    assert "VoIP2Bill" not in text
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert [image.image.size for image in images] == [(24, 12)]


def test_without_a_logo_the_documents_embed_no_image(app, make_account, make_calls, close, fresh_logo_cache):
    app.config.update(COMPANY_LOGO="")
    make_account("NOLOGO")
    make_calls("NOLOGO", CALLS)
    close()
    with app.app_context():
        assert list(PdfReader(io.BytesIO(invoice_of("NOLOGO").pdf)).pages[0].images) == []


def test_a_voucher_top_up_has_a_receipt(app, make_account):
    make_account("VCH", top_up="0", language="en_GB")
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "VCH"))
        code, = create_vouchers(1, Decimal("25.00"), "EUR", batch="Spring")
        redeem_voucher(account, code, SYSTEM)
        db.session.commit()
        top_up = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.type == "voucher"))
        text = pdf_text(receipt_pdf(top_up.id))
    assert f"RCPT-{top_up.id:08d}" in text
    assert _line_after(text, "Amount received") == "€25.00" and _line_after(text, "Currency") == "EUR"
    assert _line_after(text, "Method") == "Voucher top-up"
    assert f"Voucher …{code[-4:]}" in text  # which voucher, by the end of its code only
    assert code not in text
    assert _line_after(text, "Balance after this voucher top-up") == "€25.00"
