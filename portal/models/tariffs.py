"""What we sell at and what carriers charge us: plans, rates, peak schedules, ban plans, VoIP plans
and dial rules. Any change here bumps `TariffVersion` so every process rebuilds its rating engine."""
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.extensions import db
from portal.models.carriers import Gateway, Provider
from portal.models.types import Money, UTCDateTime, utcnow
from portal.models.watchdog import NumberListEntry


def _digits_check(column, shortest):
    """A CHECK that `column` is `shortest` to 15 ASCII digits, as the rating engine takes them.

    `trim(value, '0123456789') = ''` (nothing left once the digits are trimmed from both ends)
    reads and answers the same on SQLite and PostgreSQL, where neither GLOB nor `~` would work on
    both; `length()` counts characters on both.
    """
    return f"length({column}) BETWEEN {shortest} AND 15 AND trim({column}, '0123456789') = ''"


class PeakSchedule(db.Model):
    """When peak prices apply: weekdays and hours in a time zone, minus a country's holidays.

    An end time before the start runs past midnight (off-peak nights 20:00–08:00), one equal to it
    makes 24 hours; such a window counts as the day it opened (see `portal.rating.PeakSchedule`).
    """

    __tablename__ = "peak_schedules"
    __table_args__ = (
        CheckConstraint("weekdays <> '' AND trim(weekdays, '0123456,') = ''", name="weekdays_shape"),
        CheckConstraint("holiday_country = '' OR length(holiday_country) = 2 OR substr(holiday_country, 3, 1) = '-'",
                        name="holiday_country_shape"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: Comma-separated weekday numbers, Monday 0 … Sunday 6.
    weekdays: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")
    start_time: Mapped[time] = mapped_column(Time)
    #: Before `start_time`: the window runs past midnight; equal to it: 24 hours.
    end_time: Mapped[time] = mapped_column(Time)
    #: A `holidays` country code (GB), optionally with a subdivision (GB-ENG); empty: no public holidays.
    holiday_country: Mapped[str] = mapped_column(String(40), default="")

    extra_holidays = relationship("PeakHoliday", back_populates="schedule", cascade="all, delete-orphan",
                                  order_by="PeakHoliday.day")

    @property
    def weekday_list(self):
        return [int(day) for day in self.weekdays.split(",") if day.strip()]

    def __str__(self):
        return self.name


class PeakHoliday(db.Model):
    """An extra off-peak day beyond the country's public holidays (e.g. Christmas Eve)."""

    __tablename__ = "peak_holidays"
    __table_args__ = (UniqueConstraint("schedule_id", "day", name="uq_peak_holidays_schedule_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("peak_schedules.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120), default="")

    schedule = relationship("PeakSchedule", back_populates="extra_holidays")


class _PlanColumns:
    """Columns that retail and carrier plans share."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    #: Decimal places a call's price is rounded to (ROUND_HALF_UP, once per call).
    decimals: Mapped[int] = mapped_column(SmallInteger, default=4)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self):
        return f"{self.name} ({self.currency})"


class _RateColumns:
    """Columns that retail and carrier rates share: one row per prefix or exact number."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Leading digits of the normalized number; NULL when the rule is for an exact number.
    prefix: Mapped[str | None] = mapped_column(String(15))
    #: An exact normalized number; wins over any prefix.
    number: Mapped[str | None] = mapped_column(String(15))
    destination: Mapped[str] = mapped_column(String(120), default="")
    #: Price per minute (off-peak when the plan has a peak schedule).
    rate: Mapped[Decimal] = mapped_column(Money(14, 6))
    rate_peak: Mapped[Decimal | None] = mapped_column(Money(14, 6))
    connect_fee: Mapped[Decimal] = mapped_column(Money(14, 6), default=Decimal(0))
    #: First increment in seconds.
    t1: Mapped[int] = mapped_column(Integer, default=1)
    #: Next increments in seconds.
    t2: Mapped[int] = mapped_column(Integer, default=1)
    #: Lets a new deck be loaded ahead of its date (from inclusive, to exclusive).
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @staticmethod
    def rate_checks(table):
        return (
            CheckConstraint("(prefix IS NULL) <> (number IS NULL)", name="prefix_or_number"),
            CheckConstraint(f"prefix IS NULL OR ({_digits_check('prefix', 1)})", name="prefix_digits"),
            CheckConstraint(f"number IS NULL OR ({_digits_check('number', 3)})", name="number_digits"),
            CheckConstraint("rate >= 0", name="rate_not_negative"),
            CheckConstraint("rate_peak IS NULL OR rate_peak >= 0", name="rate_peak_not_negative"),
            CheckConstraint("connect_fee >= 0", name="connect_fee_not_negative"),
            CheckConstraint("t1 >= 0", name="t1_not_negative"),
            CheckConstraint("t2 >= 1", name="t2_positive"),
            CheckConstraint("effective_to IS NULL OR effective_from IS NULL OR effective_to > effective_from",
                            name="effective_window"),
            Index(f"ix_{table}_plan_prefix", "plan_id", "prefix"),
            Index(f"ix_{table}_plan_number", "plan_id", "number"),
        )


class RetailPlan(_PlanColumns, db.Model):
    """A price list we sell at, in one currency."""

    __tablename__ = "retail_plans"
    __table_args__ = (CheckConstraint("decimals BETWEEN 0 AND 6", name="decimals_range"),)

    peak_schedule_id: Mapped[int | None] = mapped_column(ForeignKey("peak_schedules.id"))

    peak_schedule = relationship("PeakSchedule")
    rates = relationship("RetailRate", back_populates="plan", cascade="all, delete-orphan",
                         lazy="dynamic")


class RetailRate(_RateColumns, db.Model):
    __tablename__ = "retail_rates"
    __table_args__ = _RateColumns.rate_checks("retail_rates")

    plan_id: Mapped[int] = mapped_column(ForeignKey("retail_plans.id", ondelete="CASCADE"))

    plan = relationship("RetailPlan", back_populates="rates")


class CarrierPlan(_PlanColumns, db.Model):
    """What one provider charges us, in its currency."""

    __tablename__ = "carrier_plans"
    __table_args__ = (CheckConstraint("decimals BETWEEN 0 AND 6", name="decimals_range"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    peak_schedule_id: Mapped[int | None] = mapped_column(ForeignKey("peak_schedules.id"))

    provider = relationship("Provider", back_populates="carrier_plans")
    peak_schedule = relationship("PeakSchedule")
    rates = relationship("CarrierRate", back_populates="plan", cascade="all, delete-orphan",
                         lazy="dynamic")


class CarrierRate(_RateColumns, db.Model):
    __tablename__ = "carrier_rates"
    __table_args__ = _RateColumns.rate_checks("carrier_rates")

    plan_id: Mapped[int] = mapped_column(ForeignKey("carrier_plans.id", ondelete="CASCADE"))

    plan = relationship("CarrierPlan", back_populates="rates")


class BanPlan(db.Model):
    """Destinations that must never be called on the VoIP plans it is linked to."""

    __tablename__ = "ban_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    prefixes = relationship("BanPrefix", back_populates="ban_plan", cascade="all, delete-orphan",
                            order_by="BanPrefix.prefix")

    def __str__(self):
        return self.name


class BanPrefix(db.Model):
    __tablename__ = "ban_prefixes"
    __table_args__ = (
        UniqueConstraint("ban_plan_id", "prefix", name="uq_ban_prefixes_plan_prefix"),
        CheckConstraint(_digits_check("prefix", 1), name="prefix_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ban_plan_id: Mapped[int] = mapped_column(ForeignKey("ban_plans.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(15))

    ban_plan = relationship("BanPlan", back_populates="prefixes")

    def __str__(self):
        return self.prefix


voip_plan_carrier_plans = Table(
    "voip_plan_carrier_plans",
    db.metadata,
    Column("voip_plan_id", ForeignKey("voip_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("carrier_plan_id", ForeignKey("carrier_plans.id", ondelete="CASCADE"), primary_key=True),
)

voip_plan_ban_plans = Table(
    "voip_plan_ban_plans",
    db.metadata,
    Column("voip_plan_id", ForeignKey("voip_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("ban_plan_id", ForeignKey("ban_plans.id", ondelete="CASCADE"), primary_key=True),
)


class VoipPlan(db.Model):
    """What a customer is on: retail plans (conditional), carrier plans for LCR, ban plans."""

    __tablename__ = "voip_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: Every linked retail plan is in this currency; only accounts in it may use the plan.
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    #: Drop LCR routes that cost more than the retail price.
    no_loss: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")

    #: In the order rating breaks its last tie by (see `portal.tariffs.loader`).
    retail_links = relationship("VoipPlanRetailPlan", back_populates="voip_plan", cascade="all, delete-orphan",
                                order_by="(VoipPlanRetailPlan.priority, VoipPlanRetailPlan.id)")
    carrier_plans = relationship("CarrierPlan", secondary=voip_plan_carrier_plans)
    ban_plans = relationship("BanPlan", secondary=voip_plan_ban_plans)
    dial_rules = relationship("DialRule", back_populates="voip_plan", order_by="(DialRule.position, DialRule.id)")

    def __str__(self):
        return f"{self.name} ({self.currency})"


class VoipPlanRetailPlan(db.Model):
    """A retail plan on a VoIP plan, used only for callers matching `caller_prefix` (conditional
    tariffs); lower priority wins a tie."""

    __tablename__ = "voip_plan_retail_plans"
    __table_args__ = (
        UniqueConstraint("voip_plan_id", "retail_plan_id", "caller_prefix",
                         name="uq_voip_plan_retail_plans_link"),
        CheckConstraint(f"caller_prefix = '' OR ({_digits_check('caller_prefix', 1)})", name="caller_prefix_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voip_plan_id: Mapped[int] = mapped_column(ForeignKey("voip_plans.id", ondelete="CASCADE"), index=True)
    retail_plan_id: Mapped[int] = mapped_column(ForeignKey("retail_plans.id"))
    #: Empty: any caller.
    caller_prefix: Mapped[str] = mapped_column(String(15), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)

    voip_plan = relationship("VoipPlan", back_populates="retail_links")
    retail_plan = relationship("RetailPlan")


class DialRule(db.Model):
    """A number rewrite `match` → `replace`, for one account, one VoIP plan, or (neither) global.
    Within one scope the lowest position that matches wins."""

    __tablename__ = "dial_rules"
    __table_args__ = (
        CheckConstraint("account_id IS NULL OR voip_plan_id IS NULL", name="one_scope"),
        Index("ix_dial_rules_scope", "account_id", "voip_plan_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    voip_plan_id: Mapped[int | None] = mapped_column(ForeignKey("voip_plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    match: Mapped[str] = mapped_column(String(20))
    replace: Mapped[str] = mapped_column(String(20), default="")

    voip_plan = relationship("VoipPlan", back_populates="dial_rules")
    account = relationship("Account", back_populates="dial_rules")

    def __str__(self):
        return f"{self.match} → {self.replace}"


class TariffVersion(db.Model):
    """One row whose number goes up on every tariff change; processes compare it to rebuild."""

    __tablename__ = "tariff_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    version: Mapped[int] = mapped_column(Integer, default=0)


#: Every model whose table the cached engine and black/white lists are loaded from: a change to
#: any makes every engine stale. The loader's link tables change only through `VoipPlan`'s
#: collections; a `BanPlan` row itself is never read (its prefixes and its links are), and
#: deleting one deletes its prefixes. tests/tariffs holds this list to what the loader reads.
RATING_INPUTS = (PeakSchedule, PeakHoliday, RetailPlan, RetailRate, CarrierPlan, CarrierRate, BanPrefix,
                 VoipPlan, VoipPlanRetailPlan, DialRule, Provider, Gateway, NumberListEntry)


def bump_tariff_version(session):
    """Move the version on; bulk statements that bypass the ORM call this themselves."""
    updated = session.execute(update(TariffVersion).where(TariffVersion.id == 1)
                              .values(version=TariffVersion.version + 1)).rowcount
    if not updated:
        session.add(TariffVersion(id=1, version=1))


@event.listens_for(Session, "before_flush")
def _bump_on_tariff_change(session, flush_context, instances):
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, RATING_INPUTS) for obj in changed):
        bump_tariff_version(session)
