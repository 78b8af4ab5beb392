"""Money under concurrency, on PostgreSQL where requests really run in parallel (row locks)."""
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.api_keys import create_api_key
from portal.extensions import db
from portal.ledger import operations as ops
from portal.ledger.balance import available, open_holds
from portal.ledger.errors import LedgerError
from portal.ledger.verify import verify
from portal.models import Account, Hold, LedgerTransaction, Posting, RetailRate
from tests import factories
from tests.ledger.conftest import ADMIN

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrency needs PostgreSQL row locks: run with DATABASE_URL=postgresql://…")


def _account(app, billing="prepaid", balance="0"):
    with app.app_context():
        account = factories.account(billing=billing)
        if Decimal(balance):
            ops.payment(account, Decimal(balance), ADMIN)
        db.session.commit()
        return account.id


def _run_in_threads(app, count, work, workers=8):
    """Run `work()` `count` times on `workers` threads, each call in its own session; count successes."""
    succeeded = []
    lock = threading.Lock()

    def one(_):
        with app.app_context():
            try:
                work()
                db.session.commit()
            except LedgerError:
                db.session.rollback()
                return
            finally:
                db.session.remove()
            with lock:
                succeeded.append(1)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(count)))
    return len(succeeded)


def test_a_thousand_charges_never_overspend_a_prepaid_balance(app):
    account_id = _account(app, balance="5.00")

    def charge():
        ops.fee(db.session.get(Account, account_id), Decimal("0.01"), ADMIN, "Call", require_funds=True)

    assert _run_in_threads(app, 1000, charge) == 500
    with app.app_context():
        assert db.session.get(Account, account_id).balance == Decimal("0.00")
        assert verify() == []


def test_a_thousand_authorizations_with_holds_never_hold_more_than_is_available(app):
    """The switch's path (POST /authorize with a call uuid): each call that fits holds the price of
    its longest call, one increment of 10,800 s at 0.0001/min = 0.018, so €5.00 holds exactly 277 of
    them (4.986) and the 0.014 left buys no further call, however the 1,000 requests interleave."""
    account_id = _account(app, balance="5.00")
    with app.app_context():
        plan = factories.voip_plan("EUR")
        db.session.add(RetailRate(plan_id=plan.retail_links[0].retail_plan_id, prefix="49", destination="Germany",
                                  rate=Decimal("0.0001"), t1=10800, t2=10800))
        account = db.session.get(Account, account_id)
        account.voip_plan_id = plan.id
        code = account.code
        _, token = create_api_key("switch-under-load", "switch")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def call(n):
        response = app.test_client().post("/api/v1/authorize", headers=headers, json={
            "account": code, "caller": "441130000000", "callee": "4915112345678", "uuid": f"load-{n}"})
        assert response.status_code == 200
        return response.get_json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(call, range(1000)))
    allowed = [a for a in answers if a["allowed"]]
    assert len(allowed) == 277 and {a["hold"] for a in allowed} == {"0.018000"}
    assert {a["reason"] for a in answers if not a["allowed"]} == {"insufficient_funds"}
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert open_holds(account) == Decimal("4.986") and available(account) == Decimal("0.014")
        assert db.session.scalar(select(func.count()).select_from(Hold)) == 277
        assert account.balance == Decimal("5.00") and verify() == []


def test_one_idempotency_key_from_fifty_concurrent_requests_posts_once(app):
    account_id = _account(app)
    with app.app_context():
        _, token = create_api_key("concurrent", "admin")
        code = db.session.get(Account, account_id).code
        db.session.commit()
    answers = []

    def request(_):
        client = app.test_client()
        response = client.post(f"/api/v1/accounts/{code}/transactions", json={"type": "payment", "amount": "25"},
                               headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"})
        answers.append((response.status_code, response.get_json().get("id", response.get_json())))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(request, range(50)))
    assert {status for status, _ in answers} == {201}
    assert len({tx for _, tx in answers}) == 1
    with app.app_context():
        assert db.session.get(Account, account_id).balance == Decimal(25)
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
        assert db.session.scalar(select(func.count()).select_from(Posting)) == 2


def test_ten_concurrent_returns_of_sixty_percent_only_one_succeeds(app):
    account_id = _account(app, balance="100")

    def refund():
        ops.return_payment(db.session.get(Account, account_id), Decimal(60), ADMIN)

    assert _run_in_threads(app, 10, refund) == 1
    with app.app_context():
        assert db.session.get(Account, account_id).balance == Decimal(40)
        assert verify() == []
