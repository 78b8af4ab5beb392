"""Ties are broken by the order rows were made in, never by the order a database happens to
return them: retail links by (priority, id), dial rules by (position, id)."""
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select, text

from portal.extensions import db
from portal.models import Account, DialRule, RetailPlan, RetailRate, VoipPlan, VoipPlanRetailPlan
from portal.tariffs.loader import account_dial_rules, load_engine
from tests import factories
from tests.tariffs.conftest import LONDON, NIGHT


@pytest.fixture
def scrambled(app_ctx):
    """Make rows come back in another order than they were made in, where nothing orders them.

    SQLite returns unordered rows in reverse when asked to (the pragma exists for finding code
    that relies on row order); PostgreSQL returns a row written again, id and all, after the
    others. `scramble(model, id)` writes that row again, and asks SQLite.
    """
    sqlite = db.engine.dialect.name == "sqlite"

    def scramble(model, row_id):
        table = model.__table__
        row = db.session.execute(select(table).where(table.c.id == row_id)).mappings().one()
        db.session.execute(delete(table).where(table.c.id == row_id))
        db.session.execute(insert(table).values(**row))
        db.session.commit()
        db.session.expire_all()
        if sqlite:  # on the connection the session holds from here on
            db.session.execute(text("PRAGMA reverse_unordered_selects = ON"))

    yield scramble
    if sqlite:
        db.session.execute(text("PRAGMA reverse_unordered_selects = OFF"))


def twin_plan(name):
    """A retail plan whose only rate ties with its twin's on everything but its name."""
    return RetailPlan(name=name, currency="EUR",
                      rates=[RetailRate(prefix="44", destination=f"{name} UK", rate=Decimal("0.02"))])


def test_equal_retail_links_go_to_the_one_linked_first(scrambled):
    plan = VoipPlan(name="Twins", currency="EUR", retail_links=[
        VoipPlanRetailPlan(retail_plan=twin_plan("First"), priority=0),
        VoipPlanRetailPlan(retail_plan=twin_plan("Second"), priority=0)])
    db.session.add(plan)
    db.session.commit()
    scrambled(VoipPlanRetailPlan, plan.retail_links[0].id)
    rating = load_engine().engine.rate(plan.id, "", LONDON, NIGHT, 60)
    assert rating.destination.name == "First UK"


def test_account_rules_at_one_position_apply_in_the_order_they_were_made(scrambled):
    """(SQLite hands ordered ties back in id order anyway; PostgreSQL does not.)"""
    account = factories.account(dial_rules=[DialRule(position=0, match="0", replace="44"),
                                            DialRule(position=0, match="0", replace="33")])
    db.session.commit()
    scrambled(DialRule, account.dial_rules[0].id)
    reloaded = db.session.scalar(select(Account).where(Account.id == account.id))
    assert account_dial_rules(reloaded)[0].replace == "44"
