"""The migrations build the schema from nothing on this run's database and agree with the models:
tables, columns and types (Alembic's comparison), and also what Alembic does not compare, the
CHECK constraints and the indexes later queries rely on."""
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db
from tests.conftest import make_app


def test_upgrade_from_nothing_matches_the_models(empty_database_url):
    app = make_app(empty_database_url("migrations"))
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
    app = make_app(empty_database_url("downgrade"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "accounts" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def _checks(engine):
    """{table: {constraint name: its condition with spacing, quoting and casts taken out}}."""
    inspector = inspect(engine)
    return {table: {check["name"]: _normalized(check["sqltext"]) for check in inspector.get_check_constraints(table)}
            for table in inspector.get_table_names() if table != "alembic_version"}


def _normalized(sql):
    sql = re.sub(r"::(character varying|[a-z_]+)(\[\])?", "", sql.lower())  # PostgreSQL's casts
    return re.sub(r"[^a-z0-9<>=!_]", "", sql)


def test_the_migrations_make_every_check_constraint_the_models_declare(empty_database_url):
    migrated, modelled = empty_database_url("migrated"), empty_database_url("modelled")
    app = make_app(migrated)
    with app.app_context():
        upgrade()
        from_migrations = _checks(db.engine)
        db.engine.dispose()
    app = make_app(modelled)
    with app.app_context():
        db.create_all()
        from_models = _checks(db.engine)
        db.engine.dispose()
    assert sum(len(checks) for checks in from_models.values()) > 30
    assert from_migrations == from_models


@pytest.mark.parametrize("table, columns", [
    ("cdrs", ["account_id", "start"]),  # an account's calls in a period (invoices, portal, API)
    ("cdrs", ["status"]),  # unrated calls to re-rate
    ("cdrs", ["invoice_id"]),  # an invoice's calls
    ("postings", ["ledger_account_id"]),  # a ledger account's balance
    ("ledger_transactions", ["account_id", "created_at"]),  # an account's statement
])
def test_the_queries_have_their_indexes(app_ctx, table, columns):
    indexed = [index["column_names"] for index in inspect(db.engine).get_indexes(table)]
    assert any(found[:len(columns)] == columns for found in indexed), indexed
