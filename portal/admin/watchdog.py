"""Fraud rules, their alarms and number lists."""
from wtforms import SelectField

from portal.admin.security import SecureModelView
from portal.models.watchdog import RULE_ACTIONS, RULE_KINDS, RULE_PERIODS, RULE_SCOPES


def _choices(values):
    return [(value, value.replace("_", " ").capitalize()) for value in values]


class WatchdogRuleView(SecureModelView):
    column_list = ("name", "kind", "scope", "period", "max_calls", "max_minutes", "max_amount", "prefix",
                   "action", "enabled")
    column_filters = ("kind", "enabled", "action")
    form_columns = ("name", "kind", "scope", "period", "max_calls", "max_minutes", "max_amount", "max_rate",
                    "prefix", "threshold", "action", "email", "enabled")
    form_overrides = {"kind": SelectField, "scope": SelectField, "period": SelectField, "action": SelectField}
    form_args = {"kind": {"choices": _choices(RULE_KINDS)}, "scope": {"choices": _choices(RULE_SCOPES)},
                 "period": {"choices": _choices(RULE_PERIODS)}, "action": {"choices": _choices(RULE_ACTIONS)}}


class AlarmView(SecureModelView):
    can_create = False
    column_list = ("raised_at", "rule", "subject", "detail", "status", "acknowledged_by")
    column_filters = ("status", "raised_at")
    column_default_sort = ("raised_at", True)
    form_columns = ("status",)


class NumberListView(SecureModelView):
    column_list = ("kind", "prefix", "account_id", "note", "created_at")
    column_filters = ("kind",)
    column_searchable_list = ("prefix",)
    form_columns = ("kind", "prefix", "note")
    form_overrides = {"kind": SelectField}
    form_args = {"kind": {"choices": [("blacklist", "Blacklist"), ("whitelist", "Whitelist")]}}
