"""Retail and carrier plans and rates, peak schedules, ban plans, VoIP plans, dial rules."""
from wtforms.validators import ValidationError

from portal.admin.security import SecureModelView, money_formatters
from portal.models import BanPrefix, PeakHoliday, VoipPlanRetailPlan

RATE_COLUMNS = ("plan", "prefix", "number", "destination", "rate", "rate_peak", "connect_fee", "t1", "t2",
                "effective_from", "effective_to")


class PeakScheduleView(SecureModelView):
    column_list = ("name", "timezone", "weekdays", "start_time", "end_time", "holiday_country")
    form_columns = ("name", "timezone", "weekdays", "start_time", "end_time", "holiday_country")
    column_descriptions = {"weekdays": "Comma-separated, Monday 0 … Sunday 6",
                           "holiday_country": "Two-letter country code for public holidays"}
    inline_models = ((PeakHoliday, {"form_columns": ("id", "day", "name")}),)


class RetailPlanView(SecureModelView):
    column_list = ("name", "currency", "decimals", "peak_schedule", "created_at")
    column_searchable_list = ("name",)
    column_filters = ("currency",)
    form_columns = ("name", "currency", "decimals", "peak_schedule", "description")


class CarrierPlanView(SecureModelView):
    column_list = ("name", "provider", "currency", "decimals", "peak_schedule")
    column_searchable_list = ("name",)
    column_filters = ("currency", "provider.name")
    form_columns = ("name", "provider", "currency", "decimals", "peak_schedule", "description")


class RateView(SecureModelView):
    """Retail and carrier rate rows: a deck can be large, so search and filter, never scroll."""

    column_list = RATE_COLUMNS
    form_columns = RATE_COLUMNS
    column_searchable_list = ("prefix", "number", "destination")
    column_filters = ("plan.name", "prefix", "destination", "effective_from")
    column_default_sort = "prefix"
    column_formatters = money_formatters("rate", "rate_peak", "connect_fee")
    page_size = 100


class BanPlanView(SecureModelView):
    column_list = ("name", "prefixes")
    form_columns = ("name",)
    inline_models = ((BanPrefix, {"form_columns": ("id", "prefix")}),)


class VoipPlanView(SecureModelView):
    column_list = ("name", "currency", "no_loss", "carrier_plans", "ban_plans")
    column_searchable_list = ("name",)
    form_columns = ("name", "currency", "no_loss", "carrier_plans", "ban_plans", "description")
    inline_models = ((VoipPlanRetailPlan, {"form_columns": ("id", "retail_plan", "caller_prefix",
                                                            "priority")}),)

    def on_model_change(self, form, model, is_created):
        """Every retail plan of a VoIP plan is in its currency: customers are billed in one."""
        wrong = [link.retail_plan.name for link in model.retail_links
                 if link.retail_plan is not None and link.retail_plan.currency != model.currency]
        if wrong:
            raise ValidationError(f"Retail plans not in {model.currency}: {', '.join(wrong)}.")


class DialRuleView(SecureModelView):
    column_list = ("account", "voip_plan", "position", "match", "replace")
    column_filters = ("account.code", "voip_plan.name")
    column_default_sort = ("position", False)
    form_columns = ("account", "voip_plan", "position", "match", "replace")
    column_descriptions = {"account": "Leave account and VoIP plan empty for a global rule"}
