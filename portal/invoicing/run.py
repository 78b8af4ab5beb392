"""Closing a month for many accounts: `flask invoices run` and `POST /invoices/run`.

Each invoice is its own unit of work, committed here as soon as it is issued: a thousand accounts
never wait on one transaction, and an account that fails (a plan in another currency, a month not
over in its time zone) is reported while the others are issued. Running a period again, or twice at
the same time, issues nothing new: an account's close holds its row lock, and finds the invoice a
concurrent run committed first; the unique index on (account, period) stops anything that slips by,
and the loser's transaction, its number included, rolls back.

Printing is most of a close's time (WeasyPrint, a few tenths of a second a page), and a number must
be on its PDF before the invoice is stored, so one run could only print one invoice at a time while
it holds the year's counter. With `INVOICE_WORKERS` above one, a run closes its accounts in chunks
instead: one transaction takes a chunk's numbers in a row while worker processes print the chunk's
PDFs side by side, then stores them and commits. A chunk that fails in any way rolls back whole,
numbers included, and is closed again one account per transaction, so each failure is reported on
its own account and the numbers stay gapless.
"""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import or_, select, union
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.errors import DomainError
from portal.extensions import db
from portal.invoicing.close import close_account, existing_invoice, finish_close, prepare_close
from portal.invoicing.errors import PeriodNotOver, UnknownAccount
from portal.invoicing.pdf import html_to_pdf
from portal.models import Account, AccountPlan, AccountProduct, Cdr, Invoice
from portal.models.types import utcnow


@dataclass
class RunResult:
    #: Numbers issued by this run.
    created: list = field(default_factory=list)
    #: Numbers of the period's invoices that were issued before.
    existing: list = field(default_factory=list)
    #: Accounts that could not be closed: {"account", "code", "message"}.
    failed: list = field(default_factory=list)

    def as_json(self):
        return {"invoices": self.created, "existing": self.existing, "failed": self.failed}


def run_period(period, account_code=None, actor=audit.SYSTEM, annex=False, progress=None, now=None):
    """Issue the invoices of `period` for one account or every account with something to bill.
    Commits after each invoice; `progress(code)` is called after each account."""
    now = now or utcnow()
    if period.earliest_end() > now:
        raise PeriodNotOver(f"{period} has not ended yet in any time zone.", period=str(period))
    accounts = accounts_to_close(period, account_code)
    earlier = select(Invoice.account_id, Invoice.number).where(Invoice.period == str(period),
                                                                Invoice.kind == "invoice")
    if account_code:
        earlier = earlier.where(Invoice.account_id == accounts[0][0])
    issued = dict(db.session.execute(earlier).all())
    db.session.rollback()  # end the read: each close starts its own transaction with the account's lock
    result = RunResult(existing=sorted(issued.values()))
    todo = [(account_id, code) for account_id, code in accounts if account_id not in issued]
    if progress is not None:
        for account_id, code in accounts:
            if account_id in issued:
                progress(code)
    workers = current_app.config["INVOICE_WORKERS"]
    if workers > 1 and len(todo) > 1:
        _close_in_chunks(todo, period, actor, annex, now, result, progress, workers)
        return result
    for account_id, code in todo:
        _close_one(account_id, code, period, actor, annex, now, result)
        if progress is not None:
            progress(code)
    return result


#: Accounts per transaction when printing in parallel: enough to keep the workers busy, few enough
#: that a failure redoes little and other runs wait little for the counter.
CHUNK = 16


def _close_in_chunks(todo, period, actor, annex, now, result, progress, workers):
    # forkserver: workers start from a clean process, never from one holding database connections.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as printers:
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            if not _close_chunk(chunk, period, actor, annex, now, result, printers):
                for account_id, code in chunk:
                    _close_one(account_id, code, period, actor, annex, now, result)
            if progress is not None:
                for _, code in chunk:
                    progress(code)


def _close_chunk(chunk, period, actor, annex, now, result, printers):
    """Close `chunk` in one transaction, its PDFs printed by `printers`; False, with nothing
    written, when anything went wrong."""
    prepared, existing = [], []
    try:
        for account_id, _ in chunk:
            ready = prepare_close(account_id, period, annex=annex, now=now)
            if ready is None:
                existing.append(account_id)
            else:
                prepared.append((ready, printers.submit(html_to_pdf, ready.document.html())))
        numbers = [finish_close(ready, pdf.result(), actor).number for ready, pdf in prepared]
        db.session.commit()
    except Exception:  # noqa: BLE001 — any failure: undo the chunk, then find it account by account
        db.session.rollback()
        for _, pdf in prepared:
            pdf.cancel()
        return False
    result.created.extend(numbers)
    for account_id in existing:
        earlier = existing_invoice(account_id, period)
        if earlier is not None:
            result.existing.append(earlier.number)
    return True


def _close_one(account_id, code, period, actor, annex, now, result):
    try:
        invoice = close_account(account_id, period, actor, annex=annex, now=now)
        number = invoice.number if invoice is not None else None
        db.session.commit()
    except IntegrityError:  # a concurrent run issued it first
        db.session.rollback()
        number = None
    except DomainError as error:
        db.session.rollback()
        result.failed.append({"account": code, "code": error.code, "message": error.message})
        return
    if number is not None:
        result.created.append(number)
        return
    earlier = existing_invoice(account_id, period)
    if earlier is not None:
        result.existing.append(earlier.number)


def accounts_to_close(period, account_code):
    """(id, code) of the accounts to close, in id order (one lock order for every run)."""
    if account_code:
        row = db.session.execute(select(Account.id, Account.code).where(Account.code == account_code)).first()
        if row is None:
            raise UnknownAccount(f"There is no account {account_code}.", account=account_code)
        return [tuple(row)]
    calls = select(Cdr.account_id.label("account_id")).where(
        Cdr.status == "rated", Cdr.invoice_id.is_(None), Cdr.account_id.isnot(None),
        Cdr.start < period.latest_end())
    recurring = [select(model.account_id.label("account_id")).where(
        model.starts_on <= period.last_day, or_(model.ends_on.is_(None), model.ends_on >= period.first_day))
        for model in (AccountPlan, AccountProduct)]
    billable = union(calls, *recurring).subquery()
    return [tuple(row) for row in db.session.execute(
        select(Account.id, Account.code).where(Account.id.in_(select(billable.c.account_id))).order_by(Account.id))]
