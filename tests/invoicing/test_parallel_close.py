"""A month close whose PDFs are printed by worker processes issues exactly what a close printing
alone issues: the same numbers in the same account order, each on its own account's PDF."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.invoicing import run as run_module
from portal.ledger.verify import verify
from portal.models import Account, Invoice
from portal.models.types import utcnow
from tests.invoicing.conftest import UK_FIXED, UK_MOBILE, at, customer_movement, pdf_text

YEAR = utcnow().year


def test_workers_print_each_invoice_with_its_own_number_and_account(app, make_account, make_calls, close,
                                                                     monkeypatch):
    app.config["INVOICE_WORKERS"] = 2
    monkeypatch.setattr(run_module, "CHUNK", 3)  # seven accounts: two full chunks and a short one
    monkeypatch.setattr(run_module, "_close_one", lambda *args: pytest.fail("a chunk was closed account by account"))
    codes = [f"P{n}" for n in range(7)]
    for n, code in enumerate(codes):
        make_account(code)
        make_calls(code, [(at("2025-10-05 10:00"), UK_FIXED, 60 * (n + 1)), (at("2025-10-06 10:00"), UK_MOBILE, 30)])
    result = close()
    assert result.created == [f"INV-{YEAR}-{n:06d}" for n in range(1, 8)] and not result.failed
    with app.app_context():
        invoices = db.session.execute(select(Invoice, Account.code).join(Account).order_by(Invoice.number)).all()
        assert [code for _, code in invoices] == codes
        for invoice, code in invoices:
            text = pdf_text(invoice.pdf)
            assert invoice.number in text and f"{code} Trading Ltd" in text
            assert customer_movement(invoice) == -invoice.total and invoice.total > Decimal(0)
        assert verify() == []
    assert close().created == []
