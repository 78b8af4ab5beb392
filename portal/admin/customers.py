"""Customer accounts and the people who sign in."""
from decimal import Decimal

from flask_admin import expose
from flask_admin.form import rules
from flask_admin.model.template import EndpointLinkRowAction
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from portal.accounts import check_credit_needs_postpaid, check_plan_currency
from portal.admin.money import money_page
from portal.admin.security import SecureModelView, money_formatters
from portal.auth.passwords import hash_password
from portal.auth.service import end_sessions
from portal.errors import DomainError
from portal.models.accounts import ACCOUNT_STATUSES, BILLING_METHODS
from portal.models.auth import ROLES

PROFILE = ("company_name", "company_website", "address", "city", "state", "zip_code", "country", "phone",
           "fax", "language", "note")


class FixedField(StringField):
    """A value shown read-only and never written: what a request posts for it is ignored, so a
    crafted POST cannot change it either."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, render_kw={"readonly": True}, **kwargs)

    def process_formdata(self, valuelist):
        """Keep the object's value, whatever was posted."""

    def populate_obj(self, obj, name):
        """Never write it back."""


class AccountView(SecureModelView):
    """Money fields are read-only here: balance moves only through the ledger, credit only through
    credit events."""

    column_list = ("code", "name", "currency", "billing", "balance", "credit_limit", "voip_plan", "status")
    column_searchable_list = ("code", "name", "email", "company_name")
    column_filters = ("billing", "status", "currency", "voip_plan.name", "below_limit")
    column_default_sort = "code"
    column_formatters = money_formatters("balance", "credit_limit")
    can_delete = False  # accounts with history are closed (status), never deleted
    form_create_rules = ("code", "name", "email", "currency", "billing", "voip_plan", "status", "tax_rate",
                         "timezone", rules.Header("Profile"), *PROFILE)
    form_edit_rules = ("code", "currency", "name", "email", "billing", "voip_plan", "status", "tax_rate", "timezone",
                       rules.Header("Profile"), *PROFILE)
    form_columns = ("code", "name", "email", "currency", "billing", "voip_plan", "status", "tax_rate",
                    "timezone", *PROFILE)
    form_overrides = {"billing": SelectField, "status": SelectField}
    form_args = {
        "billing": {"choices": [(value, value.title()) for value in BILLING_METHODS]},
        "status": {"choices": [(value, value.title()) for value in ACCOUNT_STATUSES]},
    }

    column_extra_row_actions = [EndpointLinkRowAction("fa fa-money", ".money_view", title="Money")]

    @expose("/money/", methods=("GET", "POST"))
    def money_view(self):
        return money_page(self)

    def get_edit_form(self):
        """The code (the switch's accountcode) and the currency (every amount of the account is in it)
        are fixed at creation, as in the API: shown, never changed."""
        form_class = super().get_edit_form()
        form_class.code = FixedField("Code")
        form_class.currency = FixedField("Currency")
        return form_class

    def on_model_change(self, form, model, is_created):
        """The rules the API follows: only a VoIP plan in the account's currency, and no credit limit
        on a prepaid account."""
        try:
            check_plan_currency(model.voip_plan, model.currency)
            # A new account's limit is None until it is flushed; it starts at 0 (credit is a money page event).
            check_credit_needs_postpaid(model.billing, model.credit_limit or Decimal(0))
        except DomainError as refused:
            raise ValidationError(refused.message) from None


class UserView(SecureModelView):
    column_list = ("email", "name", "role", "account", "active", "last_login_at")
    #: A password hash is a secret even hashed: it can be attacked offline.
    column_details_exclude_list = ("password_hash",)
    column_export_exclude_list = ("password_hash",)
    column_searchable_list = ("email", "name")
    column_filters = ("role", "active")
    form_columns = ("email", "name", "role", "account", "active", "password")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": [(value, value.title()) for value in ROLES]}}
    form_extra_fields = {"password": PasswordField("New password", validators=[Optional()],
                                                   description="Leave empty to keep the current one.")}

    def on_model_change(self, form, model, is_created):
        model.email = model.email.strip().lower()
        if form.password.data:
            model.password_hash = hash_password(form.password.data)
        elif is_created:
            raise ValueError("A new user needs a password.")
        if not is_created and (form.password.data or not model.active):
            # Whoever held one of the user's sessions, a copied cookie included, is signed out for good.
            end_sessions(model)
