"""Role checks for every admin page: admins see everything, accountants only what they need."""
from datetime import datetime

from flask import abort, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto

from portal.admin.converters import FilterConverter, ModelConverter, largest_int
from portal.csv_cells import escape_cell
from portal.extensions import db
from portal.urls import page_number, row_id


class RoleGuard:
    """Mixin for Flask-Admin views: only the listed roles get in; others are refused with 403."""

    allowed_roles = ("admin",)

    def is_accessible(self):
        return current_user.is_authenticated and current_user.role in self.allowed_roles

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class AdminForm(FlaskForm):
    """Flask-WTF's CSRF for Flask-Admin forms. Keeps the edited object as `_obj`, which Flask-Admin's
    unique-value check needs to tell "taken by another row" from "this row's own value"."""

    def __init__(self, formdata=_Auto, obj=None, prefix="", **kwargs):
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)


def utc_time(view, value, name):
    """Times to the second, marked UTC (they are stored in UTC), not Python's microsecond ISO form."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


class SecureModelView(RoleGuard, ModelView):
    """A model view with CSRF-protected forms (Flask-WTF), readable times and sensible paging."""

    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: utc_time}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: utc_time}

    form_base_class = AdminForm
    model_form_converter = ModelConverter
    filter_converter = FilterConverter()
    page_size = 50
    can_set_page_size = True
    can_view_details = True

    def __init__(self, model, name=None, category=None, endpoint=None, **kwargs):
        super().__init__(model, db, name=name, category=category, endpoint=endpoint, **kwargs)

    def get_export_value(self, model, name):
        """Exports hold what switches and customers sent (callers, names, descriptions): every
        export of every view writes its cells so a spreadsheet shows them and never runs them."""
        return escape_cell(super().get_export_value(model, name))

    def _get_list_extra_args(self):
        """The list's page (0-based here) kept within what the database can skip to: a page past
        the last is empty, however far, instead of an overflowing OFFSET."""
        args = super()._get_list_extra_args()
        args.page = page_number("page", first=0)
        return args

    def get_one(self, id):
        """None, which Flask-Admin shows as "Record does not exist", for an `?id=` that no integer
        key holds, rather than sending it to the database to overflow."""
        key = self.model.__mapper__.primary_key
        if len(key) == 1 and key[0].type.python_type is int and row_id(id, largest_int(key[0].type)) is None:
            return None
        return super().get_one(id)


class ReadOnlyModelView(SecureModelView):
    """For records that are history (ledger, CDRs, audit): never edited from a form."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = True


class SecureBaseView(RoleGuard, BaseView):
    """Custom admin pages (reports, runs) with the same role checks."""


def money_column(view, context, model, name):
    """A money cell in its own currency: per-minute rates and call prices keep their stored places
    (at least four), other amounts the currency's."""
    from portal.formatting import money

    value = getattr(model, name)
    currency = getattr(model, CURRENCY_FIELDS.get(name, "currency"), None) or \
        getattr(getattr(model, "plan", None), "currency", None)
    if value is None or currency is None:
        return value
    if name in PRECISE_FIELDS:
        return money(value, currency, digits=max(4, -value.normalize().as_tuple().exponent))
    return money(value, currency)


PRECISE_FIELDS = {"rate", "rate_peak", "connect_fee", "max_rate", "price", "cost"}
#: Columns priced in another currency than the row's `currency` (a call's cost is the carrier's).
CURRENCY_FIELDS = {"cost": "cost_currency"}


def money_formatters(*names):
    return {name: money_column for name in names}
