"""Prepaid vouchers: codes printed on cards; only their hashes are stored; each is used once."""
import hashlib
import secrets

from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.ledger.accounts import customer_ledger, system_ledger
from portal.ledger.amounts import positive_amount
from portal.ledger.errors import VoucherInvalid
from portal.ledger.journal import post
from portal.ledger.operations import clear_limit_flag, once_per_key, receipt
from portal.models import Voucher
from portal.models.types import utcnow

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def _digest(code):
    return hashlib.sha256(code.replace("-", "").replace(" ", "").upper().encode()).hexdigest()


def create_vouchers(count, amount, currency, batch="", expires_at=None):
    """Make `count` vouchers; returns their codes, which are shown this once."""
    amount = positive_amount(amount)
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
        code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
        db.session.add(Voucher(code_hash=_digest(code), code_hint=raw[-4:], amount=amount, currency=currency,
                               batch=batch, expires_at=expires_at))
        codes.append(code)
    db.session.flush()
    return codes


def redeem_voucher(account, code, actor, key=None):
    """Top up `account` with a voucher in its currency; a used, expired or unknown code is refused.
    With `key`, the same redemption again (a resubmitted form) replays its first answer instead of
    being refused as "already used"."""
    request = {"operation": "voucher", "account": account.code, "voucher": _digest(code)}

    def run(locked):
        voucher = db.session.scalar(select(Voucher).where(Voucher.code_hash == request["voucher"]).with_for_update())
        if voucher is None or voucher.used_at is not None:
            raise VoucherInvalid("This voucher code is unknown or already used.", code="invalid")
        if voucher.expires_at is not None and voucher.expires_at <= utcnow():
            raise VoucherInvalid("This voucher has expired.", code="expired")
        if voucher.currency != locked.currency:
            raise VoucherInvalid(f"This voucher is in {voucher.currency}, the account in {locked.currency}.",
                                 code="currency")
        tx = post("voucher", [(customer_ledger(locked), voucher.amount),
                              (system_ledger("voucher_liability", locked.currency), -voucher.amount)],
                  account=locked, amount=voucher.amount, currency=locked.currency,
                  description=f"Voucher …{voucher.code_hint}", actor=actor)
        voucher.used_at = utcnow()
        voucher.used_by_account_id = locked.id
        voucher.transaction_id = tx.id
        clear_limit_flag(locked)
        audit.record(actor, "voucher", "account", locked.code, amount=voucher.amount, voucher=voucher.id,
                     description=tx.description)
        return receipt(locked, "voucher", voucher.amount, tx.id)

    return once_per_key(account, key, request, run)
