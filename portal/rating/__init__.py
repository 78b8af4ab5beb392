"""Pure-Python rating (DESIGN §3): normalize, ban, price, cost, route and authorize calls.

Built from plain tariff values, answering with plain results; no web framework and no database
here, so the rules can be tested and benchmarked on their own.
"""

from .engine import RatingEngine
from .errors import TariffError, UnknownVoipPlan
from .increments import billable_seconds, charge
from .lcr import Route
from .max_duration import DEFAULT_MAX_CALL_SECONDS, Allowance, max_duration
from .money import to_decimal
from .normalize import DialRule, Normalized, choose_rules, national_rules, normalize
from .peak import PeakSchedule
from .prefix_index import PrefixIndex
from .results import (
    BANNED,
    INSUFFICIENT_FUNDS,
    INVALID_NUMBER,
    NO_RATE,
    RATED,
    Authorization,
    CallRating,
    Destination,
    Lookup,
    RateTerms,
)
from .tariffs import (
    CarrierPlan,
    Gateway,
    Provider,
    Rate,
    RetailLink,
    RetailPlan,
    VoipPlan,
    check_ban_prefix,
)

__all__ = [
    "BANNED",
    "DEFAULT_MAX_CALL_SECONDS",
    "INSUFFICIENT_FUNDS",
    "INVALID_NUMBER",
    "NO_RATE",
    "RATED",
    "Allowance",
    "Authorization",
    "CallRating",
    "CarrierPlan",
    "Destination",
    "DialRule",
    "Gateway",
    "Lookup",
    "Normalized",
    "PeakSchedule",
    "PrefixIndex",
    "Provider",
    "Rate",
    "RateTerms",
    "RatingEngine",
    "RetailLink",
    "RetailPlan",
    "Route",
    "TariffError",
    "UnknownVoipPlan",
    "VoipPlan",
    "billable_seconds",
    "charge",
    "check_ban_prefix",
    "choose_rules",
    "max_duration",
    "national_rules",
    "normalize",
    "to_decimal",
]
