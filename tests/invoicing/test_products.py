"""Products and plans on invoices: monthly fees for every month an assignment overlaps, the initial
charge once, each fee a ledger transaction; assignments in another currency are refused."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.invoicing.errors import CurrencyMismatch, InvalidAssignment
from portal.invoicing.products import assign_plan, assign_product, create_plan, create_product, end_assignment
from portal.models import Account, LedgerTransaction
from tests.invoicing.conftest import customer_movement, invoice_of


def _account(code):
    return db.session.scalar(select(Account).where(Account.code == code))


def test_fees_are_charged_for_every_month_an_assignment_overlaps(app, make_account, close):
    make_account("FEE")
    with app.app_context():
        account = _account("FEE")
        rental = create_product("Number rental", "EUR", Decimal("1.255"))
        assign_product(account, rental, date(2025, 10, 31), quantity=3, note="+44 20 7946 0000")
        ended = assign_product(account, create_product("Fax line", "EUR", Decimal("4.00")), date(2025, 1, 1))
        end_assignment(ended, date(2025, 9, 30))
        plan = create_plan("Business 500", "EUR", Decimal("12.50"), included_minutes=500, initial_charge="25")
        assign_plan(account, plan, date(2025, 10, 15), initial_charge=Decimal("19.99"))
        db.session.commit()
    assert len(close().created) == 1 and len(close("2025-11").created) == 1
    with app.app_context():
        october = [(line.kind, line.description, line.quantity, line.unit, line.amount)
                   for line in invoice_of("FEE").lines]
        assert october == [
            ("plan", "Business 500: monthly fee, October 2025", Decimal(1), "month", Decimal("12.50")),
            ("plan", "Business 500: initial charge", Decimal(1), "once", Decimal("19.99")),
            ("product", "Number rental (+44 20 7946 0000), October 2025", Decimal(3), "month", Decimal("3.77")),
        ]
        november = [line.description for line in invoice_of("FEE", "2025-11").lines]
        assert november == ["Business 500: monthly fee, November 2025",
                            "Number rental (+44 20 7946 0000), November 2025"]
        invoice = invoice_of("FEE")
        fees = db.session.scalars(select(LedgerTransaction.amount).where(LedgerTransaction.invoice_id == invoice.id,
                                                                         LedgerTransaction.type == "fee")).all()
        assert sorted(fees) == [Decimal("-19.99"), Decimal("-12.50"), Decimal("-3.77")]
        assert customer_movement(invoice) == -invoice.total


def test_an_offer_in_another_currency_or_retired_cannot_be_assigned(app, make_account):
    make_account("EUR1")
    with app.app_context():
        account = _account("EUR1")
        with pytest.raises(CurrencyMismatch):
            assign_product(account, create_product("US DID", "USD", Decimal(1)), date(2025, 1, 1))
        retired = create_plan("Old", "EUR", Decimal(1))
        retired.active = False
        with pytest.raises(InvalidAssignment):
            assign_plan(account, retired, date(2025, 1, 1))
        with pytest.raises(InvalidAssignment):
            assign_product(account, create_product("Line", "EUR", Decimal(1)), date(2025, 2, 1),
                           ends_on=date(2025, 1, 1))
        with pytest.raises(InvalidAssignment):
            create_plan("Bad", "EUR", Decimal(1), prefixes=["44x"])
