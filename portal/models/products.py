"""Recurring charges (source document 004): products, such as a number rental, and plans, bundles of
a monthly fee, an initial charge and included minutes; and which account has which since when.

Dates are the account's local calendar days: a product or plan is billed, in whole months, for
every billing month its assignment overlaps.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import Money, UTCDateTime, utcnow


class Product(db.Model):
    """A recurring monthly fee, for example the rental of a phone number."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("monthly_fee >= 0", name="monthly_fee_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    monthly_fee: Mapped[Decimal] = mapped_column(Money())
    #: Retired products stay on the accounts that have them but can no longer be assigned.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self):
        return self.name


class AccountProduct(db.Model):
    """A product an account has from `starts_on` until `ends_on` (inclusive; open when empty)."""

    __tablename__ = "account_products"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: Printed on the invoice line, e.g. the rented number "+44 20 7946 0000".
    note: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account = relationship("Account")
    product = relationship("Product")

    def __str__(self):
        return f"{self.product} × {self.quantity}"


class BundlePlan(db.Model):
    """A plan: a monthly fee, an initial charge, and minutes included for calls to its prefixes
    (all destinations when it has none), or unlimited minutes."""

    __tablename__ = "bundle_plans"
    __table_args__ = (
        CheckConstraint("monthly_fee >= 0", name="monthly_fee_not_negative"),
        CheckConstraint("initial_charge >= 0", name="initial_charge_not_negative"),
        CheckConstraint("included_minutes >= 0", name="included_minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    monthly_fee: Mapped[Decimal] = mapped_column(Money())
    #: The default initial charge; each assignment may set its own.
    initial_charge: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: Minutes per billing month, used by calls in call order; ignored when `unlimited`.
    included_minutes: Mapped[int] = mapped_column(Integer, default=0)
    unlimited: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    prefixes = relationship("BundlePrefix", back_populates="plan", cascade="all, delete-orphan",
                            order_by="BundlePrefix.prefix")

    def __str__(self):
        return self.name


class BundlePrefix(db.Model):
    """A destination prefix (E.164 digits, e.g. "44") whose calls a plan's minutes cover."""

    __tablename__ = "bundle_prefixes"
    __table_args__ = (CheckConstraint("length(prefix) BETWEEN 1 AND 15", name="prefix_length"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("bundle_plans.id", ondelete="CASCADE"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(15), primary_key=True)

    plan = relationship("BundlePlan", back_populates="prefixes")

    def __str__(self):
        return self.prefix


class AccountPlan(db.Model):
    """A plan an account is on from `starts_on` until `ends_on` (inclusive; open when empty)."""

    __tablename__ = "account_plans"
    __table_args__ = (
        CheckConstraint("initial_charge >= 0", name="initial_charge_not_negative"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("bundle_plans.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: Charged once, on the first invoice of the assignment.
    initial_charge: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: The invoice that charged the initial charge: set once, so it is never charged twice.
    initial_charge_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account = relationship("Account")
    plan = relationship("BundlePlan")

    def __str__(self):
        return f"{self.plan} since {self.starts_on}"
