"""Call detail records as the switch sent them, and what rating made of them."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import Money, UTCDateTime, one_of, utcnow

CDR_STATUSES = ("pending", "rated", "unknown_account", "invalid_number", "banned", "no_rate")


class Cdr(db.Model):
    """One call. Stored once per uuid; rated fields are filled by the rating pipeline."""

    __tablename__ = "cdrs"
    __table_args__ = (
        CheckConstraint(one_of("status", CDR_STATUSES), name="status"),
        CheckConstraint("billsec >= 0", name="billsec_not_negative"),
        CheckConstraint("billable_seconds IS NULL OR billable_seconds >= 0", name="billable_not_negative"),
        CheckConstraint("hangup_cause IS NULL OR hangup_cause BETWEEN 0 AND 127", name="q850_range"),
        Index("ix_cdrs_account_start", "account_id", "start"),
        Index("ix_cdrs_status", "status"),
        Index("ix_cdrs_invoice", "invoice_id"),
        Index("ix_cdrs_start", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    #: The switch's accountcode, kept even when no account matches it.
    account_code: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    caller: Mapped[str] = mapped_column(String(64), default="")
    #: The number as dialed, before dial rules.
    callee: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billsec: Mapped[int] = mapped_column(Integer, default=0)
    duration: Mapped[int | None] = mapped_column(Integer)
    #: Q.850 cause code.
    hangup_cause: Mapped[int | None] = mapped_column(SmallInteger)
    src_ip: Mapped[str] = mapped_column(String(45), default="")
    switch_id: Mapped[int | None] = mapped_column(ForeignKey("switches.id"))
    #: Provider name as the switch reported it.
    provider_name: Mapped[str] = mapped_column(String(120), default="")
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))

    # What rating decided.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: Normalized E.164 number.
    number: Mapped[str] = mapped_column(String(15), default="")
    destination_prefix: Mapped[str] = mapped_column(String(15), default="")
    destination: Mapped[str] = mapped_column(String(120), default="")
    billable_seconds: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    cost: Mapped[Decimal | None] = mapped_column(Money())
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    #: Price minus cost when both are in one currency.
    margin: Mapped[Decimal | None] = mapped_column(Money())
    #: Why the call cost what it did (rating's own explanation).
    trace: Mapped[dict | None] = mapped_column(JSON)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account = relationship("Account")
    provider = relationship("Provider")
    switch = relationship("Switch")
    invoice = relationship("Invoice")
