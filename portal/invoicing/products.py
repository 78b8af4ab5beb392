"""Products and plans (source document 004): defining them, giving them to accounts, and which of
them a month's invoice charges. Functions flush; the caller commits."""
from datetime import date

from sqlalchemy import or_, select

from portal import audit
from portal.extensions import db
from portal.invoicing.bundles import Allowance
from portal.invoicing.errors import CurrencyMismatch, InvalidAssignment
from portal.models import AccountPlan, AccountProduct, BundlePlan, BundlePrefix, Product
from portal.rating.money import to_decimal


def _amount(value, name):
    amount = to_decimal(value, name)
    if amount < 0:
        raise InvalidAssignment(f"The {name.replace('_', ' ')} cannot be negative.", **{name: "at least 0"})
    return amount


def create_product(name, currency, monthly_fee, description="", actor=audit.SYSTEM):
    product = Product(name=name, currency=currency, monthly_fee=_amount(monthly_fee, "monthly_fee"),
                      description=description)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product_created", "product", product.id, name=name, monthly_fee=product.monthly_fee)
    return product


def create_plan(name, currency, monthly_fee, included_minutes=0, prefixes=(), unlimited=False,
                initial_charge=0, description="", actor=audit.SYSTEM):
    """A plan whose minutes cover calls to `prefixes` (E.164 digits; none: every destination)."""
    bad = [prefix for prefix in prefixes if not (prefix.isdigit() and 1 <= len(prefix) <= 15)]
    if bad:
        raise InvalidAssignment(f"Prefixes are 1 to 15 digits: {', '.join(bad)}.", prefixes="digits only")
    if included_minutes < 0:
        raise InvalidAssignment("Included minutes cannot be negative.", included_minutes="at least 0")
    plan = BundlePlan(name=name, currency=currency, monthly_fee=_amount(monthly_fee, "monthly_fee"),
                      initial_charge=_amount(initial_charge, "initial_charge"), included_minutes=included_minutes,
                      unlimited=unlimited, description=description,
                      prefixes=[BundlePrefix(prefix=prefix) for prefix in sorted(set(prefixes))])
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "plan_created", "bundle_plan", plan.id, name=name, monthly_fee=plan.monthly_fee)
    return plan


def check_assignment(account, offer, starts_on, ends_on):
    """An account may get an active product or plan in its own currency, ending after it starts."""
    if offer.currency != account.currency:
        raise CurrencyMismatch(f"{offer.name} is in {offer.currency}; account {account.code} pays in "
                               f"{account.currency}.", currency=account.currency)
    if not offer.active:
        raise InvalidAssignment(f"{offer.name} is retired and can no longer be assigned.", active="retired")
    if ends_on is not None and ends_on < starts_on:
        raise InvalidAssignment("An assignment cannot end before it starts.", ends_on="on or after starts_on")


def assign_product(account, product, starts_on, quantity=1, note="", ends_on=None, actor=audit.SYSTEM):
    """Give `account` the product from `starts_on` (its local date); billed for every month it overlaps."""
    check_assignment(account, product, starts_on, ends_on)
    if quantity < 1:
        raise InvalidAssignment("The quantity is at least 1.", quantity="at least 1")
    assignment = AccountProduct(account_id=account.id, product_id=product.id, quantity=quantity, note=note,
                                starts_on=starts_on, ends_on=ends_on)
    db.session.add(assignment)
    db.session.flush()
    audit.record(actor, "product_assigned", "account", account.code, product=product.name, quantity=quantity,
                 starts_on=starts_on)
    return assignment


def assign_plan(account, plan, starts_on, initial_charge=None, ends_on=None, actor=audit.SYSTEM):
    """Put `account` on the plan from `starts_on`; the initial charge defaults to the plan's own."""
    check_assignment(account, plan, starts_on, ends_on)
    charge = plan.initial_charge if initial_charge is None else _amount(initial_charge, "initial_charge")
    assignment = AccountPlan(account_id=account.id, plan_id=plan.id, starts_on=starts_on, ends_on=ends_on,
                             initial_charge=charge)
    db.session.add(assignment)
    db.session.flush()
    audit.record(actor, "plan_assigned", "account", account.code, plan=plan.name, starts_on=starts_on,
                 initial_charge=charge)
    return assignment


def end_assignment(assignment, ends_on: date, actor=audit.SYSTEM):
    """Stop a product or plan after `ends_on`; months already invoiced are not touched."""
    if ends_on < assignment.starts_on:
        raise InvalidAssignment("An assignment cannot end before it starts.", ends_on="on or after starts_on")
    assignment.ends_on = ends_on
    db.session.flush()
    audit.record(actor, "assignment_ended", type(assignment).__tablename__, assignment.id, ends_on=ends_on)


def _billed(model, account_id, period):
    return db.session.scalars(select(model).where(
        model.account_id == account_id, model.starts_on <= period.last_day,
        or_(model.ends_on.is_(None), model.ends_on >= period.first_day)).order_by(model.id)).all()


def products_of(account_id, period):
    """The account's products billed for `period`, oldest assignment first."""
    return _billed(AccountProduct, account_id, period)


def plans_of(account_id, period):
    """The account's plans billed for `period`, oldest assignment first: the order minutes are used in."""
    return _billed(AccountPlan, account_id, period)


def allowance(assignment):
    """A plan assignment's minutes for a month, as the allocation takes them."""
    plan = assignment.plan
    return Allowance(assignment.id, tuple(p.prefix for p in plan.prefixes),
                     None if plan.unlimited else plan.included_minutes * 60)
