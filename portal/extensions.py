"""Every Flask extension object lives here, unbound, so modules can import them without an app."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

from portal.security_headers import csp_nonce

#: Named constraints make Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
admin = Admin(
    name="VoIP2Bill admin",
    url="/admin",
    endpoint="admin",
    theme=Bootstrap4Theme(base_template="admin/voip2bill_base.html", fluid=True),
    # Flask-Admin's own inline scripts carry the request's nonce, which the Content-Security-Policy allows.
    csp_nonce_generator=csp_nonce,
)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite ignores foreign keys unless asked, and fails instead of waiting for a lock; fix both."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Readers do not block the writer, and a commit appends to the log instead of rewriting pages.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Every commit synced to disk (SQLite's own default, said here because a hold's commit
        # lowers it for a while: see `portal.transactions.commit_without_fsync`).
        cursor.execute("PRAGMA synchronous=FULL")
        # 64 MB of page cache instead of 2 MB: CDR tables of millions of rows keep their indexes warm.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()
