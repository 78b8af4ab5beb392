"""Creating and changing customer accounts: the rules the ledger relies on (fixed currency, a VoIP
plan in that currency, credit only through credit events)."""
from decimal import Decimal

from sqlalchemy import select

from portal import audit
from portal.auth.service import create_user
from portal.errors import RuleError
from portal.extensions import db
from portal.ledger.accounts import customer_ledger
from portal.ledger.amounts import money_text
from portal.ledger.errors import CurrencyMismatch
from portal.ledger.operations import credit
from portal.models import Account, Country, Currency, DialRule, User, VoipPlan
from portal.rating.peak import time_zones

PROFILE_FIELDS = ("company_name", "company_website", "address", "city", "state", "zip_code", "phone", "fax",
                  "language", "note")
#: The longest value of each profile field: its column's (None: text of any length).
PROFILE_LENGTHS = {name: Account.__table__.c[name].type.length for name in PROFILE_FIELDS}


def check_plan_currency(plan, currency):
    """An account is billed in its own currency only: a VoIP plan in another is `currency_mismatch`
    (the API and the admin both ask here)."""
    if plan is not None and plan.currency != currency:
        raise CurrencyMismatch(f"VoIP plan {plan.name} is in {plan.currency}; the account is in {currency}.",
                               voip_plan_id="currency differs")


def check_credit_needs_postpaid(billing, credit_limit):
    """Only a postpaid account has a credit limit: prepaid with a limit above zero is
    `credit_requires_postpaid` (the API and the admin both ask here)."""
    if billing != "postpaid" and credit_limit > 0:
        raise RuleError("credit_requires_postpaid",
                        f"A prepaid account has no credit limit (here {money_text(credit_limit)}); only postpaid "
                        "accounts have one: keep it postpaid, or return the credit first.",
                        billing="prepaid has no credit limit", credit_limit="must be 0 for prepaid")


def _voip_plan(plan_id, currency):
    if plan_id is None:
        return None
    plan = db.session.get(VoipPlan, plan_id)
    if plan is None:
        raise RuleError("unknown_voip_plan", f"There is no VoIP plan {plan_id}.", voip_plan_id="unknown")
    check_plan_currency(plan, currency)
    return plan


def _check_reference(model, key, field):
    if key is not None and db.session.get(model, key) is None:
        raise RuleError(f"unknown_{field}", f"Unknown {field} {key}.", **{field: "unknown"})


def _check_timezone(zone):
    if zone not in time_zones():
        raise RuleError("unknown_timezone", f"Unknown time zone {zone}.", timezone="unknown")


def set_dial_rules(account, rules):
    account.dial_rules = [DialRule(position=i, match=r["match"], replace=r.get("replace", ""))
                          for i, r in enumerate(rules)]


def create_account(data, actor):
    """`data` is already shaped (strings, Decimals); returns the new account, flushed."""
    if db.session.scalar(select(Account.id).where(Account.code == data["code"])):
        raise RuleError("account_exists", f"Account {data['code']} exists already.", status=409,
                               code="taken")
    _check_reference(Currency, data["currency"], "currency")
    _check_reference(Country, data.get("country"), "country")
    if data.get("timezone") is not None:
        _check_timezone(data["timezone"])
    plan = _voip_plan(data.get("voip_plan_id"), data["currency"])
    credit_limit = data.get("credit_limit") or Decimal(0)
    check_credit_needs_postpaid(data["billing"], credit_limit)
    account = Account(code=data["code"], name=data["name"], email=data["email"], currency=data["currency"],
                      billing=data["billing"], voip_plan=plan, country=data.get("country"),
                      timezone=data.get("timezone") or "UTC", tax_rate=data.get("tax_rate") or 0,
                      **{k: v for k, v in (data.get("profile") or {}).items() if k in PROFILE_FIELDS})
    db.session.add(account)
    db.session.flush()
    customer_ledger(account)
    if data.get("dial_rules"):
        set_dial_rules(account, data["dial_rules"])
    if data.get("password"):
        if db.session.scalar(select(User.id).where(User.email == data["email"].strip().lower())):  # as stored
            raise RuleError("user_exists", f"A user {data['email']} exists already.", status=409,
                                   email="taken")
        # A user's name holds 120 characters, an account's 200.
        create_user(data["email"], data["password"], "customer", name=data["name"][:120], account=account)
    audit.record(actor, "create", "account", account.code, currency=account.currency, billing=account.billing)
    if credit_limit:
        credit(account, credit_limit, actor, description="Initial credit limit")
    return account


def update_account(account, data, actor):
    """Apply a partial change; the currency and the credit limit have their own rules."""
    if "currency" in data and data["currency"] != account.currency:
        raise RuleError("currency_immutable", "An account's currency is fixed at creation.",
                               currency="cannot change")
    if "credit_limit" in data and data["credit_limit"] != account.credit_limit:
        raise RuleError("credit_limit_via_transactions",
                               "Change the credit limit with a credit or return_credit transaction.",
                               credit_limit="use POST /accounts/{code}/transactions")
    if "billing" in data:
        check_credit_needs_postpaid(data["billing"], account.credit_limit)
    if "voip_plan_id" in data:
        account.voip_plan = _voip_plan(data["voip_plan_id"], account.currency)
    if "country" in data:
        _check_reference(Country, data["country"], "country")
    if "timezone" in data:
        _check_timezone(data["timezone"])
    for name in ("name", "email", "billing", "status", "country", "timezone", "tax_rate"):
        if name in data:
            setattr(account, name, data[name])
    for name, value in (data.get("profile") or {}).items():
        if name in PROFILE_FIELDS:
            setattr(account, name, value)
    if "dial_rules" in data:
        set_dial_rules(account, data["dial_rules"])
    db.session.flush()
    audit.record(actor, "update", "account", account.code, fields=sorted(data))
    return account
