"""Retail and carrier plans and rates, peak schedules, ban plans, VoIP plans, dial rules.

Every form that stores something the rating engine is built from first builds the engine's own
value from it (the converters the loader uses), so a row the engine would refuse is refused here,
with the engine's words, and never reaches the database.
"""
from flask import flash
from wtforms.validators import ValidationError

from portal import rating
from portal.admin.security import SecureModelView, money_formatters
from portal.models import BanPrefix, PeakHoliday, VoipPlanRetailPlan
from portal.tariffs.cache import load_failure
from portal.tariffs.loader import link_of, rate_of, schedule_of

RATE_COLUMNS = ("plan", "prefix", "number", "destination", "rate", "rate_peak", "connect_fee", "t1", "t2",
                "effective_from", "effective_to")
#: Refused rows a warning names before it points at the log for the rest.
SHOWN_PROBLEMS = 5


class RatingInputView(SecureModelView):
    """A view of something rating is built from: it warns on every page while the newest tariffs
    could not all be loaded, where the admin who can fix them is looking."""

    def render(self, template, **kwargs):
        failure = load_failure()
        if failure is not None:
            flash(load_failure_message(failure), "error")
        return super().render(template, **kwargs)


def load_failure_message(failure):
    """The warning: which engine is rating, and the first refused rows (the log has them all)."""
    if failure.rating_with == failure.version:
        head = f"Rating leaves out what tariff version {failure.version} holds that it cannot load:"
    else:
        head = (f"Rating still uses tariff version {failure.rating_with}: version {failure.version} "
                "could not be loaded whole:")
    shown = "; ".join(failure.problems[:SHOWN_PROBLEMS])
    rest = len(failure.problems) - SHOWN_PROBLEMS
    return f"{head} {shown}" + (f"; and {rest} more in the log." if rest > 0 else ".")


def as_engine_would(build, *args):
    """Build the engine's value for a row; its refusal becomes the form's error, in its words."""
    try:
        return build(*args)
    except rating.TariffError as error:
        raise ValidationError(str(error)) from None


class PeakScheduleView(RatingInputView):
    column_list = ("name", "timezone", "weekdays", "start_time", "end_time", "holiday_country")
    form_columns = ("name", "timezone", "weekdays", "start_time", "end_time", "holiday_country")
    column_descriptions = {
        "timezone": "An IANA time zone, such as Europe/London",
        "weekdays": "Comma-separated, Monday 0 … Sunday 6",
        "end_time": "Before the start: the window runs past midnight (20:00–08:00) and counts as the day it "
                    "opened; equal to it: 24 hours (00:00–00:00 is the whole day)",
        "holiday_country": "A country code for public holidays (GB), optionally with a subdivision (GB-ENG)",
    }
    inline_models = ((PeakHoliday, {"form_columns": ("id", "day", "name")}),)

    def on_model_change(self, form, model, is_created):
        as_engine_would(schedule_of, model, [holiday.day for holiday in model.extra_holidays])


class RetailPlanView(RatingInputView):
    column_list = ("name", "currency", "decimals", "peak_schedule", "created_at")
    column_searchable_list = ("name",)
    column_filters = ("currency",)
    form_columns = ("name", "currency", "decimals", "peak_schedule", "description")


class CarrierPlanView(RatingInputView):
    column_list = ("name", "provider", "currency", "decimals", "peak_schedule")
    column_searchable_list = ("name",)
    column_filters = ("currency", "provider.name")
    form_columns = ("name", "provider", "currency", "decimals", "peak_schedule", "description")


class RateView(RatingInputView):
    """Retail and carrier rate rows: a deck can be large, so search and filter, never scroll."""

    column_list = RATE_COLUMNS
    form_columns = RATE_COLUMNS
    column_searchable_list = ("prefix", "number", "destination")
    column_filters = ("plan.name", "prefix", "destination", "effective_from")
    column_default_sort = "prefix"
    column_formatters = money_formatters("rate", "rate_peak", "connect_fee")
    page_size = 100

    def on_model_change(self, form, model, is_created):
        as_engine_would(rate_of, model)


class BanPlanView(RatingInputView):
    column_list = ("name", "prefixes")
    form_columns = ("name",)
    inline_models = ((BanPrefix, {"form_columns": ("id", "prefix")}),)

    def on_model_change(self, form, model, is_created):
        for prefix in model.prefixes:
            as_engine_would(rating.check_ban_prefix, prefix.prefix)


class VoipPlanView(RatingInputView):
    column_list = ("name", "currency", "no_loss", "carrier_plans", "ban_plans")
    column_searchable_list = ("name",)
    form_columns = ("name", "currency", "no_loss", "carrier_plans", "ban_plans", "description")
    inline_models = ((VoipPlanRetailPlan, {"form_columns": ("id", "retail_plan", "caller_prefix",
                                                            "priority")}),)

    def on_model_change(self, form, model, is_created):
        """Each link as the engine takes it, and every retail plan in the VoIP plan's currency:
        customers are billed in one."""
        for link in model.retail_links:
            as_engine_would(link_of, link)
        wrong = [link.retail_plan.name for link in model.retail_links
                 if link.retail_plan is not None and link.retail_plan.currency != model.currency]
        if wrong:
            raise ValidationError(f"Retail plans not in {model.currency}: {', '.join(wrong)}.")


class DialRuleView(RatingInputView):
    column_list = ("account", "voip_plan", "position", "match", "replace")
    column_filters = ("account.code", "voip_plan.name")
    column_default_sort = ("position", False)
    form_columns = ("account", "voip_plan", "position", "match", "replace")
    column_descriptions = {"account": "Leave account and VoIP plan empty for a global rule"}
