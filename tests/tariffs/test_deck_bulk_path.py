"""A rate deck goes in and comes out in bulk: a constant number of statements whatever its size,
and never one ORM object per row. This is what keeps a 100,000-row deck within the design's
three seconds (`flask bench rating` measures that figure); these tests keep the path itself."""
import re

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import RetailRate
from portal.tariffs.loader import load_engine
from tests.tariffs.conftest import LONDON, NIGHT

ROWS = 1500  # more than one insertmanyvalues batch (1000) would be, had the path been row by row


def deck(size):
    return [{"prefix": f"{880 + n // 1000}{n % 1000:03d}", "rate": "0.01"} for n in range(size)]


class Statements:
    """Counts the SQL statements (executemany counts once) and the ORM rate objects made."""

    def __init__(self):
        self.sql = []
        self.rate_objects = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(RetailRate, "init", self._made)
        event.listen(RetailRate, "load", self._made)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._statement)
        event.remove(RetailRate, "init", self._made)
        event.remove(RetailRate, "load", self._made)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.sql.append(" ".join(statement.split()))

    def _made(self, *args, **kwargs):
        self.rate_objects += 1

    def count(self, pattern):
        return sum(1 for statement in self.sql if re.search(pattern, statement))


def test_importing_a_deck_through_the_api_inserts_its_rows_in_bulk(world, api):
    with world.app.app_context(), Statements() as seen:
        response = api.post(f"/retail-plans/{world.retail}/rates", json={"mode": "merge", "rates": deck(ROWS)})
        assert response.get_json() == {"created": ROWS, "updated": 0, "deleted": 0}
    assert seen.count(r"^INSERT INTO retail_rates\b") <= 2
    assert seen.rate_objects == 0


@pytest.mark.parametrize("size", [0, ROWS])
def test_loading_the_engine_reads_a_deck_in_one_query_without_orm_objects(world, api, size):
    api.post(f"/retail-plans/{world.retail}/rates", json={"mode": "merge", "rates": deck(size)})
    with world.app.app_context():
        with Statements() as seen:
            loaded = load_engine()
        assert seen.count(r"\b(FROM|JOIN) retail_rates\b") == 1
        assert seen.rate_objects == 0
        assert loaded.engine.rate(world.voip, "", LONDON, NIGHT, 60).destination.prefix == "4420"
