"""Domain refusals. Each carries the snake_case code and HTTP status the API answers with and the
fields it concerns; views turn them into messages, the API into its error shape."""


class DomainError(Exception):
    code = "domain_error"
    status = 422

    def __init__(self, message, **fields):
        super().__init__(message)
        self.message = message
        self.fields = fields


class RuleError(DomainError):
    """A business rule said no; `rule` names it."""

    def __init__(self, rule, message, status=422, **fields):
        super().__init__(message, **fields)
        self.code = rule
        self.status = status
