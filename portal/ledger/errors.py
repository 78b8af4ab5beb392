"""Named refusals: each carries the snake_case code the API answers with (422 unless said)."""


class LedgerError(Exception):
    code = "ledger_error"
    status = 422

    def __init__(self, message, **fields):
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    status = 400


class ReturnExceedsBalance(LedgerError):
    code = "return_exceeds_balance"


class CreditRequiresPostpaid(LedgerError):
    code = "credit_requires_postpaid"


class CreditBelowZero(LedgerError):
    code = "credit_below_zero"


class ReasonRequired(LedgerError):
    code = "reason_required"


class AdminOnly(LedgerError):
    code = "admin_only"
    status = 403


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"


class CurrencyMismatch(LedgerError):
    code = "currency_mismatch"


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    status = 409


class UnbalancedTransaction(LedgerError):
    """A programming error, never a user's: postings that do not sum to zero are not written."""

    code = "unbalanced_transaction"
    status = 500


class ImmutablePosting(LedgerError):
    code = "immutable_posting"
    status = 500


class VoucherInvalid(LedgerError):
    code = "voucher_invalid"
