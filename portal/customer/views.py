from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from portal.auth.session import role_required
from portal.customer import bp
from portal.extensions import db
from portal.ledger.balance import available, open_holds
from portal.models import LedgerTransaction


@bp.route("/")
@role_required("customer")
def dashboard():
    account = current_user.account
    recent = db.session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.account_id == account.id)
        .order_by(LedgerTransaction.created_at.desc(), LedgerTransaction.id.desc()).limit(10)
    ).all()
    return render_template("customer/dashboard.html", account=account, available=available(account),
                           holds=open_holds(account), recent=recent)


@bp.route("/profile")
@role_required("customer")
def profile():
    return render_template("customer/profile.html", account=current_user.account)
