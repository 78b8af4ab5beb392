"""The double-entry journal: ledger accounts, transactions, postings; plus credit-limit events,
call holds, vouchers and idempotency records. Postings are never updated or deleted."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.extensions import db
from portal.ledger.errors import ImmutablePosting
from portal.models.types import Money, UTCDateTime, one_of, utcnow

LEDGER_KINDS = ("customer", "cash", "call_revenue", "call_cost", "fee_revenue", "tax_payable", "provider_payable",
                "voucher_liability", "adjustments")
TRANSACTION_TYPES = ("payment", "return", "call_charge", "call_reversal", "fee", "voucher", "adjustment",
                     "tax", "credit_note")
CREDIT_EVENT_TYPES = ("credit", "return_credit")
HOLD_STATUSES = ("open", "settled", "expired", "released")


class LedgerAccount(db.Model):
    """A place money sits: one per customer account, plus system accounts per currency."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (CheckConstraint(one_of("kind", LEDGER_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique name such as "customer:17", "cash:EUR", "provider_payable:3:EUR".
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))

    def __str__(self):
        return self.key


class LedgerTransaction(db.Model):
    """One business event; its postings sum to zero per currency."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (
        CheckConstraint(one_of("type", TRANSACTION_TYPES), name="type"),
        Index("ix_ledger_transactions_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    #: The customer account concerned, if any.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    #: Signed effect on the customer's balance (positive: their money with us grows).
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "user:3", "api_key:2" or "system".
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    #: The transaction this one corrects (reversals, credit notes).
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    cdr_id: Mapped[int | None] = mapped_column(ForeignKey("cdrs.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)

    postings = relationship("Posting", back_populates="transaction", order_by="Posting.id")
    account = relationship("Account")


class Posting(db.Model):
    """One leg of a transaction. Insert-only: the ORM and (on PostgreSQL) a trigger refuse changes."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    ledger_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    #: Signed: the sum over a transaction is zero.
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))

    transaction = relationship("LedgerTransaction", back_populates="postings")
    ledger_account = relationship("LedgerAccount")


class CreditLimitEvent(db.Model):
    """A change of a postpaid account's credit limit: not money, but audited like money."""

    __tablename__ = "credit_limit_events"
    __table_args__ = (
        CheckConstraint(one_of("type", CREDIT_EVENT_TYPES), name="type"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("limit_after >= 0", name="limit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money())
    limit_before: Mapped[Decimal] = mapped_column(Money())
    limit_after: Mapped[Decimal] = mapped_column(Money())
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="system")


class Hold(db.Model):
    """Money reserved for a call in progress, released by its CDR or by expiry."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint(one_of("status", HOLD_STATUSES), name="status"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # An account's open holds in expiry order, amounts included: authorization closes the
        # lapsed ones and sums the rest from the index alone (migration 0006).
        Index("ix_holds_account_open", "account_id", "status", "expires_at", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    max_duration: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Voucher(db.Model):
    """A prepaid top-up code; used once."""

    __tablename__ = "vouchers"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the code printed on the card, so a database leak reveals no usable codes.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Last characters of the code, for people to recognise it.
    code_hint: Mapped[str] = mapped_column(String(8), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    batch: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))


class IdempotencyRecord(db.Model):
    """The first answer to a money request, returned again when the same key comes back."""

    __tablename__ = "idempotency_records"

    #: SHA-256 (hex) of the scoped key ("transactions:{code}:{client's key}"), so any key fits.
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: SHA-256 of the request; the same key with another request is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int] = mapped_column(default=200)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


APPEND_ONLY = "postings are append-only: post a correcting transaction instead"


@event.listens_for(Session, "before_flush")
def _postings_are_append_only(session, flush_context, instances):
    """The ORM refuses to change or delete a posting; PostgreSQL has a trigger for everything else."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Posting) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutablePosting(APPEND_ONLY)


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes_to_postings(state):
    """`session.execute(update(Posting)…)` and `delete(Posting)` never reach a flush: refuse them here."""
    if (state.is_update or state.is_delete) and state.statement.table.name == Posting.__tablename__:
        raise ImmutablePosting(APPEND_ONLY)
