"""Money under concurrency, on PostgreSQL where requests really run in parallel (row locks)."""
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.api_keys import create_api_key
from portal.extensions import db
from portal.ledger import operations as ops
from portal.ledger.errors import LedgerError
from portal.ledger.verify import verify
from portal.models import Account, LedgerTransaction, Posting
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
