"""Records that are history: the ledger, CDRs, holds, audit events. Read-only, filterable, exportable."""
from portal.admin.security import ReadOnlyModelView, money_formatters


class LedgerTransactionView(ReadOnlyModelView):
    column_list = ("created_at", "account", "type", "amount", "currency", "description", "created_by")
    column_filters = ("type", "currency", "account.code", "created_at")
    column_searchable_list = ("description",)
    column_default_sort = ("created_at", True)
    column_formatters = money_formatters("amount")


class PostingView(ReadOnlyModelView):
    column_list = ("transaction_id", "ledger_account", "amount", "currency")
    column_filters = ("ledger_account.key", "currency")
    column_default_sort = ("id", True)


class CreditLimitEventView(ReadOnlyModelView):
    column_list = ("created_at", "account_id", "type", "amount", "limit_before", "limit_after", "created_by",
                   "description")
    column_filters = ("type", "created_at")
    column_default_sort = ("created_at", True)


class HoldView(ReadOnlyModelView):
    column_list = ("created_at", "account_id", "call_uuid", "amount", "currency", "max_duration", "status",
                   "expires_at")
    column_filters = ("status", "created_at")
    column_default_sort = ("created_at", True)
    column_formatters = money_formatters("amount")


class CdrView(ReadOnlyModelView):
    column_list = ("start", "account_code", "caller", "number", "destination", "billsec",
                   "billable_seconds", "price", "cost", "provider_name", "status")
    column_labels = {"account_code": "Account", "billsec": "Billsec", "billable_seconds": "Billed s",
                     "provider_name": "Carrier"}
    column_filters = ("status", "account_code", "start", "destination", "provider_name", "hangup_cause")
    column_searchable_list = ("uuid", "caller", "callee", "number")
    column_default_sort = ("start", True)
    column_formatters = money_formatters("price", "cost")
    page_size = 100


class AuditEventView(ReadOnlyModelView):
    column_list = ("at", "actor", "action", "object_type", "object_id", "detail")
    column_filters = ("action", "object_type", "actor", "at")
    column_default_sort = ("at", True)


class ApiKeyView(ReadOnlyModelView):
    """Keys are made with `flask api-key create`; only their prefix is ever shown again."""

    column_list = ("name", "role", "key_prefix", "created_at", "last_used_at", "revoked_at")
    column_details_exclude_list = ("key_hash",)
