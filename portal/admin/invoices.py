"""Invoices and credit notes, for admins and accountants: the list with stored PDFs, closing a month,
credit notes, receipts; and, for admins, the products and plans that invoices charge."""
from flask import Response, abort, flash, redirect, url_for
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, DecimalField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.admin.security import ReadOnlyModelView, SecureModelView, money_formatters
from portal.audit import Actor
from portal.errors import DomainError
from portal.extensions import db
from portal.formatting import money
from portal.invoicing.credit_notes import credited, issue_credit_note
from portal.invoicing.period import Period
from portal.invoicing.products import check_assignment
from portal.invoicing.receipts import RECEIPT_TYPES, receipt_number, receipt_pdf
from portal.invoicing.run import run_period
from portal.models import BundlePrefix, Invoice, LedgerTransaction


def _pdf_link(view, context, model, name):
    if model.pdf_sha256 is None:
        return ""
    return Markup('<a href="{}">PDF</a>').format(url_for(".pdf_view", invoice_id=model.id))


def _pdf_response(data, filename):
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class CloseForm(FlaskForm):
    period = StringField("Month", validators=[DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                                     message="Write the month as YYYY-MM.")])
    account = StringField("Account code (empty: every account)", validators=[Optional(), Length(max=64)])
    annex = BooleanField("Attach the list of calls to each invoice")


class CreditForm(FlaskForm):
    reason = StringField("Reason (printed on the credit note)", validators=[DataRequired(), Length(max=500)])
    amount = DecimalField("Net amount (empty: the whole invoice)", places=None,
                          validators=[Optional(), NumberRange(min=0)])


class InvoiceView(ReadOnlyModelView):
    allowed_roles = ("admin", "accountant")
    list_template = "invoices/admin/list.html"
    column_list = ("number", "kind", "account", "period", "issued_at", "due_date", "status", "subtotal", "tax",
                   "total", "pdf")
    column_labels = {"issued_at": "Issued", "due_date": "Due", "pdf": "PDF", "account.code": "Account"}
    column_filters = ("period", "status", "kind", "currency", "account.code")
    column_searchable_list = ("number",)
    column_default_sort = ("issued_at", True)
    column_details_exclude_list = ("pdf",)
    column_export_exclude_list = ("pdf",)
    column_formatters = {**money_formatters("subtotal", "tax", "total"), "pdf": _pdf_link}
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-undo", ".credit_view", title="Credit note",
                                                      id_arg="invoice_id")]

    @expose("/pdf/<int:invoice_id>")
    def pdf_view(self, invoice_id):
        """The PDF as stored at issue."""
        invoice = db.get_or_404(Invoice, invoice_id)
        if invoice.pdf is None:
            abort(404)
        return _pdf_response(invoice.pdf, f"{invoice.number}.pdf")

    @expose("/close/", methods=("GET", "POST"))
    def close_view(self):
        """Close a month for one account or all of them; running it again issues nothing new."""
        form = CloseForm()
        result = None
        if form.validate_on_submit():
            try:
                result = run_period(Period.parse(form.period.data), form.account.data.strip() or None,
                                    Actor.for_user(current_user), annex=form.annex.data)
            except DomainError as refused:
                db.session.rollback()
                flash(refused.message, "error")
            else:
                flash(f"{len(result.created)} invoice(s) issued, {len(result.existing)} already issued, "
                      f"{len(result.failed)} failed.", "success" if not result.failed else "warning")
        return self.render("invoices/admin/close.html", form=form, result=result)

    @expose("/credit/<int:invoice_id>", methods=("GET", "POST"))
    def credit_view(self, invoice_id):
        """Issue a credit note, in full or for a net amount, against an invoice."""
        invoice = db.get_or_404(Invoice, invoice_id)
        if invoice.kind != "invoice":
            flash(f"{invoice.number} is a credit note itself.", "error")
            return redirect(url_for(".index_view"))
        form = CreditForm()
        if form.validate_on_submit():
            try:
                note = issue_credit_note(invoice, form.reason.data, Actor.for_user(current_user),
                                         amount=form.amount.data)
            except DomainError as refused:
                db.session.rollback()
                flash(refused.message, "error")
            else:
                db.session.commit()
                flash(f"Credit note {note.number} issued: {money(note.total, note.currency)}.", "success")
                return redirect(url_for(".index_view"))
        net, tax = credited(invoice)
        return self.render("invoices/admin/credit.html", form=form, invoice=invoice, credited_net=net,
                           credited_tax=tax)

    @expose("/receipts/")
    def receipts_view(self):
        """The latest payments and top-ups, each with its receipt."""
        payments = db.session.scalars(select(LedgerTransaction)
                                      .where(LedgerTransaction.type.in_(RECEIPT_TYPES))
                                      .order_by(LedgerTransaction.id.desc()).limit(200)).all()
        return self.render("invoices/admin/receipts.html", payments=payments, receipt_number=receipt_number)

    @expose("/receipt/<int:transaction_id>")
    def receipt_view(self, transaction_id):
        try:
            pdf = receipt_pdf(transaction_id)
        except DomainError:
            abort(404)
        return _pdf_response(pdf, f"{receipt_number(transaction_id)}.pdf")


class _AssignmentView(SecureModelView):
    """Assignments go through the same rules as the domain functions: same currency, active offer."""

    offer = None
    form_args = {"starts_on": {"validators": [DataRequired()]}}

    def on_model_change(self, form, model, is_created):
        try:
            check_assignment(model.account, getattr(model, self.offer), model.starts_on, model.ends_on)
        except DomainError as refused:
            raise ValidationError(refused.message) from None


class ProductView(SecureModelView):
    column_list = ("name", "currency", "monthly_fee", "active")
    column_searchable_list = ("name",)
    column_formatters = money_formatters("monthly_fee")
    form_columns = ("name", "description", "currency", "monthly_fee", "active")
    can_delete = False  # retire it instead: accounts and invoices refer to it


class BundlePlanView(SecureModelView):
    column_list = ("name", "currency", "monthly_fee", "initial_charge", "included_minutes", "unlimited", "prefixes",
                   "active")
    column_searchable_list = ("name",)
    column_formatters = money_formatters("monthly_fee", "initial_charge")
    form_columns = ("name", "description", "currency", "monthly_fee", "initial_charge", "included_minutes",
                    "unlimited", "active")
    inline_models = ((BundlePrefix, {"form_columns": ("plan_id", "prefix"), "form_args": {
        "prefix": {"validators": [Regexp(r"^\d{1,15}$", message="1 to 15 digits")]}}}),)
    can_delete = False


class AccountProductView(_AssignmentView):
    offer = "product"
    column_list = ("account", "product", "quantity", "note", "starts_on", "ends_on")
    column_filters = ("account.code", "product.name")
    form_columns = ("account", "product", "quantity", "note", "starts_on", "ends_on")


class AccountPlanView(_AssignmentView):
    offer = "plan"
    column_list = ("account", "plan", "starts_on", "ends_on", "initial_charge")
    column_filters = ("account.code", "plan.name")
    column_formatters = money_formatters("initial_charge")
    form_columns = ("account", "plan", "starts_on", "ends_on", "initial_charge")
