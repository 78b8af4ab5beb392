"""The admin's money form for one account: payment, return, credit, return credit, adjustment."""
import uuid
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.audit import Actor
from portal.extensions import db
from portal.formatting import money
from portal.ledger import operations
from portal.ledger.balance import available
from portal.ledger.errors import LedgerError
from portal.models import Account, CreditLimitEvent, LedgerTransaction
from portal.urls import row_id

OPERATIONS = {
    "payment": ("Payment (balance up)", operations.payment),
    "return": ("Return (refund from the balance)", operations.return_payment),
    "credit": ("Credit (extend the credit limit)", operations.credit),
    "return_credit": ("Return credit (reduce the credit limit)", operations.return_credit),
    "adjustment": ("Adjustment (signed; reason required)", operations.adjustment),
}


class MoneyForm(FlaskForm):
    type = SelectField("Type", choices=[(key, label) for key, (label, _) in OPERATIONS.items()])
    #: Text, parsed by the ledger (the one place that knows what an amount may be), not by WTForms.
    amount = StringField("Amount", validators=[DataRequired(), Length(max=40)])
    description = StringField("Description / reason", validators=[Length(max=1000)])
    #: Sent back with the form so a double click or a resubmitted page posts once.
    idempotency_key = HiddenField()


def money_page(view):
    """GET shows the account's money and the form; POST runs one ledger operation."""
    account_id = row_id(request.args.get("id"))
    account = None if account_id is None else db.session.get(Account, account_id)
    if account is None:
        abort(404)
    form = MoneyForm()
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    if form.validate_on_submit():
        _, operation = OPERATIONS[form.type.data]
        key = f"admin-money:{account.id}:{form.idempotency_key.data}"
        try:
            result = operation(account, form.amount.data, Actor.for_user(current_user), form.description.data or "",
                               key=key)
        except LedgerError as refused:
            db.session.rollback()
            flash(refused.message, "error")
        else:
            db.session.commit()
            label = OPERATIONS[form.type.data][0].split(" (")[0]
            flash(f"{label} of {money(abs(Decimal(result['amount'])), account.currency)} recorded.", "success")
            return redirect(url_for(".money_view", id=account.id))
    recent = db.session.scalars(db.select(LedgerTransaction).where(LedgerTransaction.account_id == account.id)
                                .order_by(LedgerTransaction.id.desc()).limit(20)).all()
    events = db.session.scalars(db.select(CreditLimitEvent).where(CreditLimitEvent.account_id == account.id)
                                .order_by(CreditLimitEvent.id.desc()).limit(10)).all()
    return view.render("admin/account_money.html", account=account, form=form, recent=recent, events=events,
                       available=available(account))
