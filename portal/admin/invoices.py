"""Invoices and credit notes, for admins and accountants."""
from portal.admin.security import ReadOnlyModelView, money_formatters


class InvoiceView(ReadOnlyModelView):
    allowed_roles = ("admin", "accountant")
    column_list = ("number", "kind", "account", "period", "issued_at", "due_date", "status", "subtotal", "tax",
                   "total", "currency")
    column_filters = ("period", "status", "kind", "currency", "account.code")
    column_searchable_list = ("number",)
    column_default_sort = ("issued_at", True)
    column_details_exclude_list = ("pdf",)
    column_export_exclude_list = ("pdf",)
    column_formatters = money_formatters("subtotal", "tax", "total")
