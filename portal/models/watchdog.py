"""Fraud and quality rules, the alarms they raise, and black/white lists of numbers."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import Money, UTCDateTime, one_of, utcnow

RULE_KINDS = ("quota", "expensive_destination", "asr", "acd")
RULE_SCOPES = ("src_ip", "caller", "account")
RULE_PERIODS = ("hour", "day", "week", "month")
RULE_ACTIONS = ("alarm", "block")
ALARM_STATUSES = ("open", "acknowledged", "resolved")
LIST_KINDS = ("blacklist", "whitelist")


class WatchdogRule(db.Model):
    """A quota per period per source IP, caller or account; an expensive-destination rule; or an
    ASR/ACD floor. A rule with action `block` also makes authorization refuse."""

    __tablename__ = "watchdog_rules"
    __table_args__ = (
        CheckConstraint(one_of("kind", RULE_KINDS), name="kind"),
        CheckConstraint(one_of("scope", RULE_SCOPES), name="scope"),
        CheckConstraint(one_of("period", RULE_PERIODS), name="period"),
        CheckConstraint(one_of("action", RULE_ACTIONS), name="action"),
        CheckConstraint("max_calls IS NULL OR max_calls > 0", name="max_calls_positive"),
        CheckConstraint("max_minutes IS NULL OR max_minutes > 0", name="max_minutes_positive"),
        CheckConstraint("max_amount IS NULL OR max_amount > 0", name="max_amount_positive"),
        CheckConstraint("threshold IS NULL OR (threshold >= 0 AND threshold <= 100000)", name="threshold_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    scope: Mapped[str] = mapped_column(String(10), default="account")
    period: Mapped[str] = mapped_column(String(6), default="day")
    max_calls: Mapped[int | None] = mapped_column(Integer)
    max_minutes: Mapped[int | None] = mapped_column(Integer)
    max_amount: Mapped[Decimal | None] = mapped_column(Money())
    #: For expensive destinations: the per-minute price above which a call is suspicious.
    max_rate: Mapped[Decimal | None] = mapped_column(Money(14, 6))
    #: Destinations the rule watches; empty means all.
    prefix: Mapped[str] = mapped_column(String(15), default="")
    #: ASR in percent or ACD in seconds, below which an alarm is raised.
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    action: Mapped[str] = mapped_column(String(6), default="alarm")
    #: Where alarms of this rule are mailed.
    email: Mapped[str] = mapped_column(String(254), default="")
    enabled: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.name


class Alarm(db.Model):
    """A rule found something; open until someone acknowledges it."""

    __tablename__ = "alarms"
    __table_args__ = (
        CheckConstraint(one_of("status", ALARM_STATUSES), name="status"),
        Index("ix_alarms_status_raised", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("watchdog_rules.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The source IP, caller or account code the rule counted.
    subject: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule = relationship("WatchdogRule")


class NumberListEntry(db.Model):
    """A blacklisted or whitelisted number prefix, global or for one account."""

    __tablename__ = "number_list_entries"
    __table_args__ = (CheckConstraint(one_of("kind", LIST_KINDS), name="kind"),
                      Index("ix_number_list_entries_kind_prefix", "kind", "prefix"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(15))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
