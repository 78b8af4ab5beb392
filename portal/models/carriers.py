"""Carriers that terminate our calls, their gateways, and the switches that talk to us."""
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class Provider(db.Model):
    """A carrier; LCR orders its routes by cost, then by this priority."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: Lower wins when two carriers cost the same.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    #: A disabled provider is left out of every route list.
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text, default="")

    gateways = relationship("Gateway", back_populates="provider", cascade="all, delete-orphan",
                            order_by="Gateway.id")
    carrier_plans = relationship("CarrierPlan", back_populates="provider")

    def __str__(self):
        return self.name


class Gateway(db.Model):
    """An endpoint of a provider the switch sends calls to."""

    __tablename__ = "gateways"
    __table_args__ = (
        UniqueConstraint("provider_id", "name", name="uq_gateways_provider_name"),
        CheckConstraint("port BETWEEN 1 AND 65535", name="port_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=5060)
    #: Technical prefix the carrier wants in front of the number.
    prefix: Mapped[str] = mapped_column(String(20), default="")
    protocol: Mapped[str] = mapped_column(String(16), default="sip")
    username: Mapped[str] = mapped_column(String(120), default="")
    #: Carrier credentials must reach the switch in clear, so they cannot be hashed.
    password: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(default=True)

    provider = relationship("Provider", back_populates="gateways")

    def __str__(self):
        return f"{self.name} ({self.host}:{self.port})"


class Switch(db.Model):
    """A softswitch that asks for authorization and sends CDRs."""

    __tablename__ = "switches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    ip_address: Mapped[str] = mapped_column(String(45))
    #: The API key this switch authenticates with, if it has its own.
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    description: Mapped[str] = mapped_column(Text, default="")

    api_key = relationship("ApiKey")

    def __str__(self):
        return f"{self.name} ({self.ip_address})"
