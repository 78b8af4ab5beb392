"""People who sign in and their sessions, the sign-in throttle's counts, machine keys for the API,
and the audit trail of who did what."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, one_of, utcnow

ROLES = ("admin", "accountant", "customer")
API_ROLES = ("admin", "switch")


class User(db.Model):
    """A person: an admin, an accountant, or a customer attached to one account."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint("role <> 'customer' OR account_id IS NOT NULL", name="customer_has_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; the sign-in name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Argon2id hash (argon2-cffi), never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account = relationship("Account", back_populates="users")

    #: The token of the sign-in session this object was loaded for (set per request, never stored).
    session_token = None

    # flask-login protocol
    @property
    def is_active(self):
        return self.active

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        """The session's token, not the user's id (Flask-Login's alternative tokens): the cookie
        names a server-side session, so ending that session ends every copy of the cookie."""
        return self.session_token

    def __str__(self):
        return self.email


class LoginSession(db.Model):
    """One sign-in of one browser. Flask's session lives in a signed cookie that a copy can replay;
    the cookie names this row, and deleting the row (sign-out, password change, deactivation) ends
    the session for every copy of it."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token the cookie carries: a copy of this table signs no one in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Moved on at most once a minute while the session is used; rows idle past the session lifetime
    #: are dead (the cookie has expired) and are pruned.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RateLimitCounter(db.Model):
    """A counter of the sign-in throttle (Flask-Limiter's fixed windows), kept in the database so
    that every worker process counts the same failures."""

    __tablename__ = "rate_limit_counters"

    #: SHA-256 of the limit's key, which holds the e-mail address as typed (sometimes a password
    #: typed into the wrong field): the table keeps none of it.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int]
    #: Seconds since the epoch, the unit of the `limits` library; expired rows are pruned.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class ApiKey(db.Model):
    """A bearer key for switches and integrations; only its hash is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(one_of("role", API_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    #: First characters of the key, shown so people can tell keys apart.
    key_prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole key: keys are long random strings, so a slow hash adds nothing.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self):
        return f"{self.name} ({self.role})"


class AuditEvent(db.Model):
    """Who did what to which object, and why: every money operation and admin change leaves one."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: "user:3", "api_key:2" or "system".
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
