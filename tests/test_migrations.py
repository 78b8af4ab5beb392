"""The migrations build the schema from nothing on this run's database and agree with the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal.extensions import db
from tests.conftest import make_app


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new database of the same kind as the run's: a new SQLite file or a new PG database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"{url.database}_migrations"
    admin_engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def test_upgrade_from_nothing_matches_the_models(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {"accounts", "cdrs", "postings", "invoices", "retail_rates", "alarms"} <= tables


def test_downgrade_to_nothing_and_back(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "accounts" in inspect(db.engine).get_table_names()
        db.engine.dispose()
