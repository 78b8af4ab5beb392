"""Named refusals of money operations: each carries the code the API answers with (422 unless said)."""
from portal.errors import DomainError


class LedgerError(DomainError):
    code = "ledger_error"


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    status = 400


class ReturnExceedsBalance(LedgerError):
    code = "return_exceeds_balance"


class CreditRequiresPostpaid(LedgerError):
    code = "credit_requires_postpaid"


class CreditBelowZero(LedgerError):
    code = "credit_below_zero"


class BalanceOutOfRange(LedgerError):
    """The cached balance would no longer fit its column (twelve whole digits)."""

    code = "balance_out_of_range"


class CreditLimitOutOfRange(LedgerError):
    code = "credit_limit_out_of_range"


class AlreadyReversed(LedgerError):
    """A transaction is reversed once; a second reversal would undo it twice."""

    code = "already_reversed"
    status = 409


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
    """A programming error: postings are append-only, corrections are new transactions."""

    code = "immutable_posting"
    status = 500


class VoucherInvalid(LedgerError):
    code = "voucher_invalid"
