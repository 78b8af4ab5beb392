"""Accounts and their money: POST/GET/PATCH /accounts, POST/GET /accounts/{code}/transactions."""
from flask import g, request
from sqlalchemy import select

from portal.accounts import PROFILE_FIELDS, PROFILE_LENGTHS, create_account, update_account
from portal.api import bp
from portal.api.auth import require_api
from portal.api.errors import ApiError
from portal.api.parsing import Fields, json_body, money_value, next_cursor, page_args
from portal.extensions import db
from portal.inputs import text_problem
from portal.ledger import operations
from portal.ledger.amounts import money_text
from portal.ledger.balance import available
from portal.models import Account, Cdr, LedgerTransaction
from portal.models.accounts import ACCOUNT_STATUSES, BILLING_METHODS

#: What POST /accounts/{code}/transactions may do; every one takes (account, amount, actor, text, key).
OPERATIONS = {"payment": operations.payment, "return": operations.return_payment, "credit": operations.credit,
              "return_credit": operations.return_credit, "adjustment": operations.adjustment}
#: The only account columns that may be empty, so the only fields PATCH may send as null.
CLEARABLE = ("voip_plan_id", "country")


def account_json(account):
    return {
        "code": account.code, "name": account.name, "email": account.email, "currency": account.currency,
        "billing": account.billing, "balance": money_text(account.balance),
        "credit_limit": money_text(account.credit_limit), "available": money_text(available(account)),
        "voip_plan_id": account.voip_plan_id, "status": account.status,
        "below_limit": account.below_limit, "country": account.country, "timezone": account.timezone,
        "tax_rate": str(account.tax_rate), "created_at": account.created_at.isoformat(),
        "dial_rules": [{"match": r.match, "replace": r.replace} for r in account.dial_rules],
        "profile": {name: getattr(account, name) for name in PROFILE_FIELDS},
    }


def get_account(code):
    account = db.session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise ApiError(404, "not_found", f"There is no account {code}.")
    return account


def _dial_rules(fields):
    rules = fields.body.get("dial_rules")
    if rules is None:
        return None
    if not isinstance(rules, list) or not all(
            isinstance(r, dict) and isinstance(r.get("match"), str) and isinstance(r.get("replace", ""), str)
            and len(r["match"]) <= 20 and len(r.get("replace", "")) <= 20
            and not text_problem(r["match"]) and not text_problem(r.get("replace", "")) for r in rules):
        fields.errors["dial_rules"] = 'a list of {"match": "00", "replace": ""} (strings, at most 20 characters)'
        return None
    return rules


def _profile(fields):
    profile = fields.body.get("profile")
    if profile is None:
        return None
    if not isinstance(profile, dict) or any(k not in PROFILE_FIELDS or not isinstance(v, str)
                                            for k, v in profile.items()):
        fields.errors["profile"] = "an object with string fields: " + ", ".join(PROFILE_FIELDS)
        return None
    for name, value in profile.items():
        if PROFILE_LENGTHS[name] is not None and len(value) > PROFILE_LENGTHS[name]:
            fields.errors[f"profile.{name}"] = f"at most {PROFILE_LENGTHS[name]} characters"
        elif text_problem(value):
            fields.errors[f"profile.{name}"] = text_problem(value)
    return profile


def _refuse_nulls(fields):
    """PATCH sends only what changes: null is "clear it", which only a clearable column allows."""
    for name, value in fields.body.items():
        if value is None and name not in CLEARABLE:
            fields.errors[name] = "cannot be null"


def _account_fields(fields, creating):
    def given(name):  # a required text may be left out of a PATCH, but not sent empty
        return creating or name in fields.body

    data = {
        "code": fields.text("code", required=given("code"), max_length=64),
        "name": fields.text("name", required=given("name"), max_length=200),
        "email": fields.text("email", required=given("email"), max_length=254),
        "currency": fields.text("currency", required=creating, max_length=3),
        "billing": fields.choice("billing", BILLING_METHODS, required=creating),
        "credit_limit": fields.decimal("credit_limit", minimum=0),
        "voip_plan_id": fields.integer("voip_plan_id", minimum=1),
        "country": fields.text("country", max_length=2),
        "timezone": fields.text("timezone", max_length=64),
        "tax_rate": fields.decimal("tax_rate", minimum=0, maximum=100),
        "password": fields.text("password", max_length=1024, strip=False) if creating else None,
        "dial_rules": _dial_rules(fields),
        "profile": _profile(fields),
        "status": None if creating else fields.choice("status", ACCOUNT_STATUSES),
    }
    if data["email"] and "@" not in data["email"]:
        fields.errors["email"] = "must be an e-mail address"
    if creating and data["password"] is not None and len(data["password"]) < 10:
        fields.errors["password"] = "at least 10 characters"
    if not creating:
        _refuse_nulls(fields)
    fields.check()
    if creating:
        return data
    return {name: data[name] for name in fields.body if name in data}  # PATCH: only what was sent


@bp.post("/accounts")
@require_api("admin")
def create_account_endpoint():
    data = _account_fields(Fields(json_body()), creating=True)
    account = create_account(data, g.actor)
    db.session.commit()
    return account_json(account), 201


@bp.get("/accounts/<code>")
@require_api("admin")
def get_account_endpoint(code):
    return account_json(get_account(code))


@bp.patch("/accounts/<code>")
@require_api("admin")
def patch_account_endpoint(code):
    account = get_account(code)
    body = json_body()
    unknown = set(body) - {"code", "name", "email", "currency", "billing", "credit_limit", "voip_plan_id",
                           "country", "timezone", "tax_rate", "dial_rules", "profile", "status"}
    if unknown:
        raise ApiError(400, "invalid_input", "Unknown fields.", {name: "unknown field" for name in unknown})
    data = _account_fields(Fields(body), creating=False)
    if data.pop("code", code) != code:
        raise ApiError(422, "code_immutable", "An account's code is the switch's accountcode; it cannot change.",
                       {"code": "cannot change"})
    update_account(account, data, g.actor)
    db.session.commit()
    return account_json(account)


@bp.post("/accounts/<code>/transactions")
@require_api("admin")
def post_transaction_endpoint(code):
    """Every money request carries an Idempotency-Key (DESIGN §4); the amount is parsed by the ledger,
    the one place that knows what a Money column holds."""
    account = get_account(code)
    fields = Fields(json_body())
    kind = fields.choice("type", tuple(OPERATIONS), required=True)
    amount = fields.body.get("amount")
    if amount is None:
        fields.errors["amount"] = "required"
    description = fields.text("description", max_length=1000, default="")
    key = request.headers.get("Idempotency-Key")
    if key is None:
        fields.errors["Idempotency-Key"] = "required"
    elif not 1 <= len(key) <= 128:
        fields.errors["Idempotency-Key"] = "1 to 128 characters"
    fields.check()
    money_value(amount)  # written as the document says (the ledger alone would read "1e3" too): else invalid_amount
    result = OPERATIONS[kind](account, amount, g.actor, description, key=f"transactions:{code}:{key}")
    db.session.commit()
    return result, 201


def transaction_json(tx, cdr_uuid=None):
    line = {"id": tx.id, "type": tx.type, "amount": money_text(tx.amount), "currency": tx.currency,
            "description": tx.description, "created_at": tx.created_at.isoformat(), "created_by": tx.created_by,
            "corrects": tx.corrects_id}
    if cdr_uuid is not None:
        line["cdr"] = cdr_uuid
    return line


@bp.get("/accounts/<code>/transactions")
@require_api("admin")
def list_transactions_endpoint(code):
    account = get_account(code)
    limit, cursor = page_args()
    query = (select(LedgerTransaction, Cdr.uuid).outerjoin(Cdr, Cdr.id == LedgerTransaction.cdr_id)
             .where(LedgerTransaction.account_id == account.id)
             .order_by(LedgerTransaction.id.desc()).limit(limit))
    if cursor is not None:
        query = query.where(LedgerTransaction.id < cursor)
    rows = db.session.execute(query).all()
    return {"items": [transaction_json(tx, uuid) for tx, uuid in rows],
            "next_cursor": next_cursor([tx for tx, _ in rows], limit)}
