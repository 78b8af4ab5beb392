"""Carriers, their gateways, and the switches that talk to us."""
from portal.admin.security import SecureModelView
from portal.admin.tariffs import RatingInputView
from portal.models import Gateway


class ProviderView(RatingInputView):
    column_list = ("name", "priority", "enabled", "description")
    column_searchable_list = ("name",)
    column_filters = ("enabled",)
    column_editable_list = ("priority", "enabled")
    form_columns = ("name", "priority", "enabled", "description")
    inline_models = ((Gateway, {"form_columns": ("id", "name", "host", "port", "prefix", "protocol",
                                                 "username", "password", "enabled")}),)


class GatewayView(RatingInputView):
    column_list = ("provider", "name", "host", "port", "prefix", "protocol", "enabled")
    column_searchable_list = ("name", "host")
    column_filters = ("provider.name", "enabled")
    column_exclude_list = ("password",)
    column_details_exclude_list = ("password",)
    form_columns = ("provider", "name", "host", "port", "prefix", "protocol", "username", "password",
                    "enabled")


class SwitchView(SecureModelView):
    column_list = ("name", "ip_address", "api_key", "description")
    column_searchable_list = ("name", "ip_address")
    form_columns = ("name", "ip_address", "api_key", "description")
