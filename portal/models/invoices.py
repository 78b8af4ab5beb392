"""Closed billing periods: invoices and credit notes, their lines, and the gapless counters."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import Money, UTCDateTime, one_of, utcnow

INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATUSES = ("issued", "paid", "credited")


class Invoice(db.Model):
    """An issued document: immutable; corrected only by a credit note that points at it."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(one_of("kind", INVOICE_KINDS), name="kind"),
        CheckConstraint(one_of("status", INVOICE_STATUSES), name="status"),
        CheckConstraint("period_end > period_start", name="period_order"),
        CheckConstraint("kind = 'invoice' OR corrects_invoice_id IS NOT NULL", name="credit_note_corrects"),
        # One invoice per account and period; credit notes may be several.
        Index("uq_invoices_account_period", "account_id", "period", unique=True,
              sqlite_where=text("kind = 'invoice'"), postgresql_where=text("kind = 'invoice'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: INV-2026-000001 or CN-2026-000001, gapless per kind and year.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: "2026-10".
    period: Mapped[str] = mapped_column(String(7))
    #: Local midnight of the first day, in UTC.
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="issued")
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    opening_balance: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    payments: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    charges: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    closing_balance: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    #: The invoice a credit note corrects.
    corrects_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The PDF as rendered at issue; every download returns these bytes. Deferred: lists never load it.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    account = relationship("Account")
    corrects = relationship("Invoice", remote_side=[id])
    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.position",
                         cascade="all, delete-orphan")


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = (CheckConstraint(one_of("kind", ("usage", "fee", "plan", "product", "adjustment")),
                                      name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    #: "calls", "min", "month".
    unit: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money())

    invoice = relationship("Invoice", back_populates="lines")


class DocumentSequence(db.Model):
    """The last number given per document kind and year: locked and bumped inside the transaction
    that issues the document, so numbers have no gaps."""

    __tablename__ = "document_sequences"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
