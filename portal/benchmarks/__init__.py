"""`flask bench …`: performance figures measured on this machine, against scratch databases so
nothing of the real data is touched."""
import contextlib
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

bench_group = AppGroup("bench", help="Benchmarks (scratch databases; real data is not touched).")


@contextlib.contextmanager
def scratch_app(kind):
    """An app on a fresh, migrated database of `kind` ("sqlite" or "postgresql"), dropped after."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.reference import load_reference_data

    with tempfile.TemporaryDirectory() as tmp:
        url, drop = _scratch_database(kind, Path(tmp))
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": current_app.config["SECRET_KEY"]})
        try:
            with app.app_context():
                upgrade()
                load_reference_data()
                db.session.commit()
                yield app
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()


def _scratch_database(kind, tmp):
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite'}", lambda: None
    base = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not base.startswith("postgresql"):
        raise click.ClickException("PostgreSQL benchmarks need DATABASE_URL to name a PostgreSQL server.")
    url = make_url(base)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"{url.database}_bench"  # beside DATABASE_URL's own: benches on other databases of the server run apart
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def database_kinds(choice):
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


from portal.benchmarks import authorize, ingest, invoices, ledger, rating  # noqa: F401
