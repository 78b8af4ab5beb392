"""The admin side: Flask-Admin at /admin (endpoint `admin`), one view per model or page."""
from portal import models as m
from portal.admin import carriers, catalog, customers, history, invoices, tariffs, watchdog
from portal.admin.dashboard import DashboardView
from portal.extensions import admin

_dashboard = DashboardView(name="Dashboard", endpoint="admin", url="/admin")


def _views():
    return [
        customers.AccountView(m.Account, "Accounts", "Customers"),
        customers.UserView(m.User, "Users", "Customers"),
        history.CreditLimitEventView(m.CreditLimitEvent, "Credit events", "Customers"),
        tariffs.RetailPlanView(m.RetailPlan, "Retail plans", "Tariffs"),
        tariffs.RateView(m.RetailRate, "Retail rates", "Tariffs", endpoint="retail_rates"),
        tariffs.CarrierPlanView(m.CarrierPlan, "Carrier plans", "Tariffs"),
        tariffs.RateView(m.CarrierRate, "Carrier rates", "Tariffs", endpoint="carrier_rates"),
        tariffs.VoipPlanView(m.VoipPlan, "VoIP plans", "Tariffs"),
        tariffs.BanPlanView(m.BanPlan, "Ban plans", "Tariffs"),
        tariffs.PeakScheduleView(m.PeakSchedule, "Peak schedules", "Tariffs"),
        tariffs.DialRuleView(m.DialRule, "Dial rules", "Tariffs"),
        carriers.ProviderView(m.Provider, "Providers", "Carriers"),
        carriers.GatewayView(m.Gateway, "Gateways", "Carriers"),
        carriers.SwitchView(m.Switch, "Switches", "Carriers"),
        history.CdrView(m.Cdr, "Calls", "Traffic"),
        history.HoldView(m.Hold, "Holds", "Traffic"),
        history.LedgerTransactionView(m.LedgerTransaction, "Transactions", "Ledger"),
        history.PostingView(m.Posting, "Postings", "Ledger"),
        invoices.InvoiceView(m.Invoice, "Invoices", "Billing"),
        invoices.ProductView(m.Product, "Products", "Billing"),
        invoices.BundlePlanView(m.BundlePlan, "Plans", "Billing"),
        invoices.AccountProductView(m.AccountProduct, "Account products", "Billing"),
        invoices.AccountPlanView(m.AccountPlan, "Account plans", "Billing"),
        watchdog.WatchdogRuleView(m.WatchdogRule, "Rules", "Watchdog"),
        watchdog.AlarmView(m.Alarm, "Alarms", "Watchdog"),
        watchdog.NumberListView(m.NumberListEntry, "Black/white list", "Watchdog"),
        catalog.CountryView(m.Country, "Countries", "Reference"),
        catalog.PrefixView(m.Prefix, "Prefixes", "Reference"),
        catalog.CurrencyView(m.Currency, "Currencies", "Reference"),
        catalog.HangupCauseView(m.HangupCause, "Hangup causes", "Reference"),
        history.ApiKeyView(m.ApiKey, "API keys", "System"),
        history.AuditEventView(m.AuditEvent, "Audit log", "System"),
    ]


def init_admin(app):
    """Views are added to the one Admin once; each app (tests build many) gets their blueprints."""
    admin.init_app(app, index_view=_dashboard)
    if len(admin._views) == 1:
        admin.add_views(*_views())
