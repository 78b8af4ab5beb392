"""Every model, importable from one place; one module per area."""
from portal.models.accounts import Account
from portal.models.auth import ApiKey, AuditEvent, LoginSession, RateLimitCounter, User
from portal.models.carriers import Gateway, Provider, Switch
from portal.models.catalog import Country, Currency, HangupCause, Prefix
from portal.models.cdrs import Cdr
from portal.models.invoices import DocumentSequence, Invoice, InvoiceLine
from portal.models.ledger import (
    CreditLimitEvent,
    Hold,
    IdempotencyRecord,
    LedgerAccount,
    LedgerTransaction,
    Posting,
    Voucher,
)
from portal.models.products import AccountPlan, AccountProduct, BundlePlan, BundlePrefix, Product
from portal.models.tariffs import (
    BanPlan,
    BanPrefix,
    CarrierPlan,
    CarrierRate,
    DialRule,
    PeakHoliday,
    PeakSchedule,
    RetailPlan,
    RetailRate,
    TariffVersion,
    VoipPlan,
    VoipPlanRetailPlan,
)
from portal.models.watchdog import Alarm, NumberListEntry, WatchdogRule

__all__ = [
    "Account", "AccountPlan", "AccountProduct", "Alarm", "ApiKey", "AuditEvent", "BanPlan", "BanPrefix",
    "BundlePlan", "BundlePrefix", "CarrierPlan", "CarrierRate", "Cdr", "Country", "CreditLimitEvent",
    "Currency", "DialRule", "DocumentSequence", "Gateway", "HangupCause", "Hold", "IdempotencyRecord",
    "Invoice", "InvoiceLine", "LedgerAccount", "LedgerTransaction", "LoginSession", "NumberListEntry",
    "PeakHoliday", "PeakSchedule", "Posting", "Prefix", "Product", "Provider", "RateLimitCounter",
    "RetailPlan", "RetailRate", "Switch", "TariffVersion", "User", "VoipPlan", "VoipPlanRetailPlan",
    "Voucher", "WatchdogRule",
]

from portal.invoicing import immutable  # noqa: F401  (issued documents refuse changes)
