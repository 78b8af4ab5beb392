"""Property test: any sequence of money operations on any accounts keeps both ledger invariants,
and an operation that is refused changes nothing."""
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger import operations as ops
from portal.ledger.errors import LedgerError
from portal.ledger.verify import verify
from portal.models import CreditLimitEvent, LedgerTransaction
from tests import factories
from tests.ledger.conftest import ADMIN

amounts = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(1000), places=6)
signed = st.decimals(min_value=Decimal(-500), max_value=Decimal(500), places=6).filter(lambda d: d != 0)

OPERATIONS = {
    "payment": lambda account, amount: ops.payment(account, amount, ADMIN),
    "return": lambda account, amount: ops.return_payment(account, amount, ADMIN),
    "credit": lambda account, amount: ops.credit(account, amount, ADMIN),
    "return_credit": lambda account, amount: ops.return_credit(account, amount, ADMIN),
    "fee": lambda account, amount: ops.fee(account, amount, ADMIN, "Fee", require_funds=True),
    "fee_always": lambda account, amount: ops.fee(account, amount, ADMIN, "Fee"),
    "adjustment": lambda account, amount: ops.adjustment(account, amount, ADMIN, "Property test"),
}

steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(sorted(set(OPERATIONS) - {"adjustment"})), st.integers(0, 2), amounts),
        st.tuples(st.just("adjustment"), st.integers(0, 2), signed),
    ),
    min_size=1, max_size=25,
)


def snapshot(account):
    db.session.refresh(account)
    return (account.balance, account.credit_limit,
            db.session.scalar(select(func.count()).select_from(LedgerTransaction)),
            db.session.scalar(select(func.count()).select_from(CreditLimitEvent)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(billing=st.lists(st.sampled_from(["prepaid", "postpaid"]), min_size=3, max_size=3), steps=steps)
def test_random_operations_keep_the_invariants(app_ctx, billing, steps):
    accounts = [factories.account(billing=kind) for kind in billing]
    db.session.commit()
    for name, index, amount in steps:
        account = accounts[index]
        before = snapshot(account)
        try:
            OPERATIONS[name](account, amount)
            db.session.commit()
        except LedgerError:
            db.session.rollback()
            assert snapshot(account) == before, f"refused {name} changed something"
            continue
        balance, limit = snapshot(account)[:2]
        assert limit >= 0
        if name == "return":
            assert balance >= 0
        if name == "fee":
            assert balance + limit >= 0
    assert verify() == []
