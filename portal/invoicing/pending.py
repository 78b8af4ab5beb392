"""What a call's trace cannot say yet: included minutes are given at the month's close.

The close hands a plan's minutes to the month's calls in call order (close.py, bundles.py) and only
then writes into each call's trace what its minutes covered. Until then a call's trace shows its
full price, which may not be what it ends up costing. This note says so for a call that a plan of
its account matches and whose month is still open; it is added when a call is shown, never stored,
so the close's own trace replaces it without anything to undo.
"""
from portal.extensions import db
from portal.invoicing.close import existing_invoice
from portal.invoicing.period import Period
from portal.invoicing.products import allowance, plans_of
from portal.models import Account


def open_month_bundle(cdr):
    """The trace's "bundle" note for a rated call whose month is open and which a plan of its account
    with minutes matches, else None. A call whose month was closed before it arrived gets no minutes
    (it goes on the next invoice at its price), so it gets no note either."""
    if cdr.status != "rated" or cdr.invoice_id is not None or cdr.account_id is None or not cdr.billable_seconds:
        return None
    account = db.session.get(Account, cdr.account_id)
    month = Period.containing(cdr.start, account.timezone)
    plans = list(dict.fromkeys(assignment.plan for assignment in plans_of(account.id, month)
                               if (assignment.plan.unlimited or assignment.plan.included_minutes) and
                               allowance(assignment).matches(cdr.number)))
    if not plans or existing_invoice(account.id, month) is not None:
        return None
    names = ", ".join(plan.name for plan in plans)
    return {"plans": [{"id": plan.id, "name": plan.name} for plan in plans], "period": str(month),
            "note": f"may be covered by included minutes of {names}; settled at the month's close ({month})"}
