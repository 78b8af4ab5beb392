"""A money request carries a key: the same request again replays the first answer, another request
with the key is refused, and a refused request leaves no trace that would block its retry."""
import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.ledger import operations as ops
from portal.ledger.errors import (
    CreditRequiresPostpaid,
    IdempotencyConflict,
    InsufficientFunds,
    ReturnExceedsBalance,
    VoucherInvalid,
)
from portal.ledger.vouchers import redeem_voucher
from portal.models import IdempotencyRecord, LedgerTransaction
from tests.ledger.conftest import ADMIN

D = Decimal


def records():
    return db.session.scalar(select(func.count()).select_from(IdempotencyRecord))


def transactions():
    return db.session.scalar(select(func.count()).select_from(LedgerTransaction))


@pytest.mark.parametrize("operation, error", [
    (lambda account, key: ops.return_payment(account, D("5"), ADMIN, key=key), ReturnExceedsBalance),
    (lambda account, key: ops.credit(account, D("5"), ADMIN, key=key), CreditRequiresPostpaid),
    (lambda account, key: ops.return_credit(account, D("5"), ADMIN, key=key), CreditRequiresPostpaid),
    (lambda account, key: ops.fee(account, D("5"), ADMIN, "Rental", require_funds=True, key=key), InsufficientFunds),
    (lambda account, key: redeem_voucher(account, "NO-SUCH-CODE", ADMIN, key=key), VoucherInvalid),
], ids=["return", "credit", "return_credit", "fee", "voucher"])
def test_a_refused_request_retried_with_its_key_is_refused_again_and_leaves_no_record(prepaid, operation, error):
    db.session.commit()  # nothing written yet in the transaction the operation starts
    for _ in range(2):
        with pytest.raises(error):
            operation(prepaid, "retry-me")
        db.session.rollback()
        assert records() == 0 and transactions() == 0


def test_after_a_refusal_the_key_serves_the_corrected_request(prepaid):
    db.session.commit()
    with pytest.raises(ReturnExceedsBalance):
        ops.return_payment(prepaid, D("5"), ADMIN, key="form-1")
    db.session.rollback()
    assert ops.payment(prepaid, D("5"), ADMIN, key="form-1")["balance"] == "5.000000"


def test_a_key_whose_first_request_never_finished_is_a_conflict_not_a_crash(prepaid):
    ops.payment(prepaid, D("7"), ADMIN, key="k-1")
    db.session.execute(update(IdempotencyRecord).values(response=""))  # as the first request left it
    db.session.commit()
    with pytest.raises(IdempotencyConflict, match="has not finished"):
        ops.payment(prepaid, D("7"), ADMIN, key="k-1")
    db.session.rollback()
    assert transactions() == 1


@pytest.mark.parametrize("first, again", [("12.5", "12.50"), ("1000", "1e3"), (D("3"), "3.000000")])
def test_the_same_amount_written_differently_is_the_same_request(prepaid, first, again):
    answer = ops.payment(prepaid, first, ADMIN, key="k-2")
    assert ops.payment(prepaid, again, ADMIN, key="k-2") == answer
    assert transactions() == 1


def test_a_key_of_any_length_is_stored_as_its_sha256(prepaid):
    key = "transactions:5001:" + "x" * 128
    ops.payment(prepaid, D("1"), ADMIN, key=key)
    db.session.commit()
    assert db.session.scalar(select(IdempotencyRecord.key)) == hashlib.sha256(key.encode()).hexdigest()
    assert ops.payment(prepaid, D("1"), ADMIN, key=key)["balance"] == "1.000000"
    assert transactions() == 1
