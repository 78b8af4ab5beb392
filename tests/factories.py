"""Small builders for test objects, each with sensible defaults that a test can override."""
import itertools
from decimal import Decimal

from portal.auth.service import create_user
from portal.extensions import db
from portal.models import Account, RetailPlan, VoipPlan, VoipPlanRetailPlan

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def next_number():
    return next(_seq)


def voip_plan(currency="EUR", **fields):
    n = next(_seq)
    retail = RetailPlan(name=f"Retail {n}", currency=currency)
    plan = VoipPlan(name=f"VoIP {n}", currency=currency,
                    retail_links=[VoipPlanRetailPlan(retail_plan=retail)], **fields)
    db.session.add(plan)
    db.session.flush()
    return plan


def account(code=None, currency="EUR", billing="prepaid", **fields):
    n = next(_seq)
    fields.setdefault("credit_limit", Decimal(0))
    obj = Account(code=code or f"A{n:05d}", name=f"Customer {n}", email=f"customer{n}@example.com",
                  currency=currency, billing=billing, **fields)
    db.session.add(obj)
    db.session.flush()
    return obj


def user(role="admin", email=None, password=PASSWORD, account_obj=None, **fields):
    n = next(_seq)
    if role == "customer" and account_obj is None:
        account_obj = account()
    made = create_user(email or f"{role}{n}@example.com", password, role, account=account_obj)
    for name, value in fields.items():
        setattr(made, name, value)
    return made
