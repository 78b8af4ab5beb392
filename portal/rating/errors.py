"""The ways the rating engine says no to its caller (as opposed to saying no to a call)."""


class TariffError(ValueError):
    """Tariff data that cannot be rated from: a bad rate row, plan or link between them.

    `fields` maps each value found wrong to what is wrong with it, so a form or an API answer can
    put every message beside its own field; the message itself reads well on its own.
    """

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class UnknownVoipPlan(LookupError):
    """The engine was asked about a VoIP plan it was not built with.

    Raised rather than answered as `no_rate`: it means the engine is older than the tariffs (or
    the caller holds a wrong id), and a call stored as unratable for that reason would hide it.
    """
