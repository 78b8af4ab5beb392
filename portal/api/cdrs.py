"""CDRs from switches (POST /cdrs), reading them back, and re-rating a period."""
import io
from functools import partial

from flask import current_app, request
from sqlalchemy import select

from portal.api import bp
from portal.api.auth import require_api
from portal.api.errors import ApiError
from portal.api.parsing import Fields, json_body, next_cursor, page_args, parse_time
from portal.cdrs.ingest import ingest
from portal.cdrs.parsers import FORMATS, ParserError, asterisk_columns, iter_csv, parse_json_records
from portal.cdrs.rerate import rerate
from portal.extensions import db
from portal.invoicing.pending import open_month_bundle
from portal.models import Account, Cdr, Invoice
from portal.transactions import commit_retrying

MAX_BATCH = 10_000


@bp.post("/cdrs")
@require_api("switch")
def post_cdrs_endpoint():
    records = _csv_records() if request.mimetype == "text/csv" else _json_records()
    if len(records) > MAX_BATCH:
        raise ApiError(400, "batch_too_large", f"At most {MAX_BATCH} CDRs per request; use `flask cdrs import` "
                       "for files.", {"cdrs": f"at most {MAX_BATCH}"})
    return commit_retrying(partial(ingest, records), "POST /cdrs").as_json()


def _csv_records():
    """A text/csv body in `?format=`, its naive times in `?timezone=`; `?columns=` states which
    optional columns an Asterisk Master.csv holds (else each row's width and content say)."""
    fmt = request.args.get("format", "native")
    if fmt not in FORMATS:
        raise ApiError(400, "invalid_input", "format is native, asterisk or freeswitch.", {"format": "unknown"})
    try:
        columns = asterisk_columns(request.args["columns"]) if request.args.get("columns") else None
        return list(iter_csv(io.StringIO(request.get_data(as_text=True)), fmt, request.args.get("timezone", "UTC"),
                             columns, current_app.config["MAX_CDR_SECONDS"]))
    except ParserError as error:
        raise ApiError(400, "invalid_csv", str(error)) from None


def _json_records():
    body = json_body()
    if not isinstance(body.get("cdrs"), list):
        raise ApiError(400, "invalid_input", "cdrs must be a list of CDR objects.", {"cdrs": "a list"})
    return parse_json_records(body["cdrs"], current_app.config["MAX_CDR_SECONDS"])


def cdr_json(cdr, invoice_number=None):
    return {
        "uuid": cdr.uuid, "account": cdr.account_code, "caller": cdr.caller, "callee": cdr.callee,
        "number": cdr.number or None, "start": cdr.start.isoformat(),
        "answer": cdr.answer.isoformat() if cdr.answer else None, "end": cdr.end.isoformat() if cdr.end else None,
        "billsec": cdr.billsec, "billable_seconds": cdr.billable_seconds, "hangup_cause": cdr.hangup_cause,
        "destination": {"prefix": cdr.destination_prefix, "name": cdr.destination} if cdr.destination_prefix else None,
        "price": None if cdr.price is None else str(cdr.price), "currency": cdr.currency,
        "cost": None if cdr.cost is None else str(cdr.cost), "cost_currency": cdr.cost_currency,
        "provider": cdr.provider.name if cdr.provider else (cdr.provider_name or None), "status": cdr.status,
        "invoice": invoice_number, "trace": cdr.trace,
    }


@bp.get("/cdrs/<other_than(rerate):uuid>")
@require_api("switch")
def get_cdr_endpoint(uuid):
    row = db.session.execute(select(Cdr, Invoice.number).outerjoin(Invoice, Invoice.id == Cdr.invoice_id)
                             .where(Cdr.uuid == uuid)).first()
    if row is None:
        raise ApiError(404, "not_found", f"There is no CDR {uuid}.")
    answer = cdr_json(*row)
    pending = open_month_bundle(row[0])  # one call shown: worth the queries a list would multiply
    if pending is not None:
        answer["trace"] = {**(answer["trace"] or {}), "bundle": pending}
    return answer


@bp.get("/cdrs")
@require_api("switch")
def list_cdrs_endpoint():
    limit, cursor = page_args()
    query = (select(Cdr, Invoice.number).outerjoin(Invoice, Invoice.id == Cdr.invoice_id)
             .order_by(Cdr.id.desc()).limit(limit))
    if request.args.get("account"):
        query = query.where(Cdr.account_code == request.args["account"])
    if request.args.get("status"):
        query = query.where(Cdr.status == request.args["status"])
    if request.args.get("from"):
        query = query.where(Cdr.start >= parse_time(request.args["from"], "from"))
    if request.args.get("to"):
        query = query.where(Cdr.start < parse_time(request.args["to"], "to"))
    if cursor is not None:
        query = query.where(Cdr.id < cursor)
    rows = db.session.execute(query).all()
    return {"items": [cdr_json(*row) for row in rows], "next_cursor": next_cursor([cdr for cdr, _ in rows], limit)}


@bp.post("/cdrs/rerate")
@require_api("admin")
def rerate_endpoint():
    fields = Fields(json_body())
    start = fields.moment("from", required=True)
    end = fields.moment("to", required=True)
    account = fields.text("account", max_length=64)
    fields.check()
    if end <= start:
        raise ApiError(400, "invalid_input", "to must be after from.", {"to": "after from"})
    if account and db.session.scalar(select(Account.id).where(Account.code == account)) is None:
        raise ApiError(404, "not_found", f"There is no account {account}.")
    result = rerate(start, end, account)
    db.session.commit()
    return result.as_json()


