"""Benchmarks run on scratch databases; on PostgreSQL one named after DATABASE_URL's own, so that
benches run at once against other databases of one server never drop each other's scratch database."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.benchmarks import _scratch_database
from portal.extensions import db


def test_a_postgresql_scratch_database_is_named_after_the_configured_one(app_ctx, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL scratch databases: run with DATABASE_URL=postgresql://…")
    url, drop = _scratch_database("postgresql", tmp_path)
    try:
        assert make_url(url).database == f"{db.engine.url.database}_bench"
        scratch = create_engine(url)
        with scratch.connect() as connection:
            assert connection.execute(text("SELECT current_database()")).scalar() == make_url(url).database
        scratch.dispose()
    finally:
        drop()
