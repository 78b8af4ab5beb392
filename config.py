"""Configuration read from the environment, so one build runs in every place it is deployed."""
import os
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name, default=None):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'voip2bill.sqlite'}"
    # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants the driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Defaults for every deployment; each value can be overridden by an environment variable."""

    #: "production" refuses to start without a strong SECRET_KEY.
    ENV_NAME = os.environ.get("VOIP2BILL_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}
    #: A pooled database connection idle this long is checked before use (and replaced if dead); one
    #: in steady use is not, which saves a round trip on every request under load.
    POOL_PING_AFTER_IDLE_SECONDS = float(os.environ.get("POOL_PING_AFTER_IDLE_SECONDS", "0.5"))

    # Sessions: HttpOnly and SameSite always; Secure everywhere but local debugging.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: None: Secure unless the app runs in debug mode (decided in create_app).
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", None)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Idle timeout: the session cookie is refreshed on every request and expires after this.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30")))
    SESSION_REFRESH_EACH_REQUEST = True

    #: Argon2id cost: argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB).
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "3"))
    ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", "65536"))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "4"))

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime already bounds a token's age

    #: Sent on responses to HTTPS requests only: browsers then refuse plain HTTP to this host and its
    #: subdomains for a year. `max-age=31536000` if a subdomain still serves plain HTTP; empty: none.
    STRICT_TRANSPORT_SECURITY = os.environ.get("STRICT_TRANSPORT_SECURITY", "max-age=31536000; includeSubDomains")

    #: Reverse proxies in front of the portal whose X-Forwarded-For/-Proto/-Host are believed (0: none).
    #: The login throttle counts per client address, so behind a proxy this must say how many there are.
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))

    #: Where the sign-in throttle counts, seen by every worker: "database://" (the application's
    #: database) or "redis://host:6379" (needs the `redis` package); "memory://" counts per process.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "database://")
    RATELIMIT_HEADERS_ENABLED = True
    #: Failed sign-ins allowed per e-mail address tried from one client address, and per client address.
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes")

    MAX_CALL_SECONDS = int(os.environ.get("MAX_CALL_SECONDS", "10800"))
    #: A CDR whose billsec or duration is longer is rejected (a switch's 2147483647 is not a call).
    MAX_CDR_SECONDS = int(os.environ.get("MAX_CDR_SECONDS", "86400"))
    #: An engine of this many rate rows or more is frozen out of the collector's full passes.
    ENGINE_FREEZE_ROWS = int(os.environ.get("ENGINE_FREEZE_ROWS", "20000"))
    HOLD_GRACE_SECONDS = int(os.environ.get("HOLD_GRACE_SECONDS", "300"))

    # Seller details printed on invoices.
    COMPANY_NAME = os.environ.get("COMPANY_NAME", "VoIP2Bill Telecom Ltd")
    COMPANY_ADDRESS = os.environ.get("COMPANY_ADDRESS", "1 Exchange Street\nLondon EC2A 1AA\nUnited Kingdom")
    COMPANY_VAT_ID = os.environ.get("COMPANY_VAT_ID", "GB123456789")
    COMPANY_EMAIL = os.environ.get("COMPANY_EMAIL", "billing@voip2bill.example")
    COMPANY_BANK = os.environ.get("COMPANY_BANK", "IBAN GB29 NWBK 6016 1331 9268 19")
    PAYMENT_TERMS_DAYS = int(os.environ.get("PAYMENT_TERMS_DAYS", "14"))
    #: The seller's logo on invoices and receipts (SVG, PNG or JPEG), embedded into each PDF.
    COMPANY_LOGO = os.environ.get("COMPANY_LOGO", str(BASE_DIR / "static" / "img" / "logo.svg"))
    #: Processes printing invoice PDFs side by side during a month close (1: the closing process alone).
    INVOICE_WORKERS = int(os.environ.get("INVOICE_WORKERS", str(os.cpu_count() or 1)))
    #: Attach the list of every call (number, time, duration, price) to each invoice.
    INVOICE_CALL_ANNEX = _env_bool("INVOICE_CALL_ANNEX", False)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "noreply@voip2bill.example")

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
