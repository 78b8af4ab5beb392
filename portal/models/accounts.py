"""Customers: who they are, how they pay, what they are on."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import Money, UTCDateTime, one_of, utcnow

BILLING_METHODS = ("prepaid", "postpaid")
ACCOUNT_STATUSES = ("active", "suspended", "closed")


class Account(db.Model):
    """A customer account; its `code` is the switch's accountcode."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(one_of("billing", BILLING_METHODS), name="billing"),
        CheckConstraint(one_of("status", ACCOUNT_STATUSES), name="status"),
        CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
        CheckConstraint("billing = 'postpaid' OR credit_limit = 0", name="prepaid_has_no_credit"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    #: Fixed at creation: every amount of this account is in it.
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    billing: Mapped[str] = mapped_column(String(8), default="prepaid")
    #: How far a postpaid balance may go below zero; changed only by credit events.
    credit_limit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: Cached sum of this account's ledger postings; changed only together with them.
    balance: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: Cached sum of this account's open holds, lapsed ones included until they are expired;
    #: changed only together with them. Authorization reads and reserves against it without
    #: summing the holds of every call the account has in progress.
    held: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0), server_default="0")
    voip_plan_id: Mapped[int | None] = mapped_column(ForeignKey("voip_plans.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    #: Set when a call charge took the balance below the limit; authorization then refuses.
    below_limit: Mapped[bool] = mapped_column(default=False)
    #: VAT or sales tax in percent, applied on invoices.
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    #: IANA zone; the billing month closes at local midnight.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: Locale for invoices and the portal (babel), e.g. "en_GB", "de".
    language: Mapped[str] = mapped_column(String(16), default="en")
    country: Mapped[str | None] = mapped_column(ForeignKey("countries.iso2"))
    # Profile, as the source documents' user profile names it.
    company_name: Mapped[str] = mapped_column(String(200), default="")
    company_website: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    zip_code: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    fax: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    voip_plan = relationship("VoipPlan")
    users = relationship("User", back_populates="account")
    dial_rules = relationship("DialRule", back_populates="account", order_by="(DialRule.position, DialRule.id)",
                              cascade="all, delete-orphan")

    def __str__(self):
        return f"{self.code} {self.name}"
