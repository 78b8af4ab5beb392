"""Named refusals of invoicing operations, each with the code the API answers with."""
from portal.errors import DomainError


class InvoicingError(DomainError):
    code = "invoicing_error"


class InvalidPeriod(InvoicingError):
    code = "invalid_period"
    status = 400


class PeriodNotOver(InvoicingError):
    """A month is closed once it has ended everywhere its accounts live."""

    code = "period_not_over"


class CurrencyMismatch(InvoicingError):
    code = "currency_mismatch"


class InvalidAssignment(InvoicingError):
    code = "invalid_assignment"
    status = 400


class CreditExceedsInvoice(InvoicingError):
    code = "credit_exceeds_invoice"


class NotAnInvoice(InvoicingError):
    code = "not_an_invoice"


class UnsafeResource(InvoicingError):
    """The HTML of a document asked for a file or network resource: nothing is rendered."""

    code = "unsafe_resource"
    status = 500


class ConcurrentChange(InvoicingError):
    """Calls of the account changed while its invoice was being issued: nothing was issued."""

    code = "concurrent_change"
    status = 409


class UnknownAccount(InvoicingError):
    code = "not_found"
    status = 404


class ReasonRequired(InvoicingError):
    code = "reason_required"
    status = 400


class AlreadyCredited(InvoicingError):
    code = "already_credited"


class NoReceipt(InvoicingError):
    """Only money received (payments and voucher top-ups) has a receipt."""

    code = "not_found"
    status = 404
