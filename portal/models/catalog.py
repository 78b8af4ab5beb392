"""Reference data loaded from maintained libraries: countries, calling-code prefixes, currencies,
Q.850 hangup causes."""
from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class Country(db.Model):
    """An ISO 3166 country with its E.164 calling code (from phonenumbers, named by babel)."""

    __tablename__ = "countries"

    iso2: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    calling_code: Mapped[str] = mapped_column(String(4), index=True)

    prefixes = relationship("Prefix", back_populates="country")

    def __str__(self):
        return f"{self.name} (+{self.calling_code})"


class Prefix(db.Model):
    """An E.164 destination prefix and its name: `44` United Kingdom."""

    __tablename__ = "prefixes"
    __table_args__ = (CheckConstraint("length(prefix) BETWEEN 1 AND 15", name="prefix_length"),)

    prefix: Mapped[str] = mapped_column(String(15), primary_key=True)
    country_iso2: Mapped[str | None] = mapped_column(ForeignKey("countries.iso2"), index=True)
    name: Mapped[str] = mapped_column(String(120))

    country = relationship("Country", back_populates="prefixes")

    def __str__(self):
        return f"{self.prefix} {self.name}"


class Currency(db.Model):
    """An ISO 4217 currency (from babel); accounts and plans are each in exactly one."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: Minor-unit digits people expect on invoices (2 for EUR, 0 for JPY).
    digits: Mapped[int] = mapped_column(SmallInteger, default=2)

    def __str__(self):
        return f"{self.code} {self.name}"


class HangupCause(db.Model):
    """An ITU-T Q.850 release cause, as switches report it at the end of a call."""

    __tablename__ = "hangup_causes"
    __table_args__ = (CheckConstraint("code BETWEEN 0 AND 127", name="code_range"),)

    code: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    #: The switch-side name, e.g. NORMAL_CLEARING.
    enumeration: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")

    def __str__(self):
        return f"{self.code} {self.enumeration}"
