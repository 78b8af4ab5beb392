"""Invoices (DESIGN §5): close a month, list and read invoices, download the stored PDF. Admin keys."""
from flask import Response, g, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.api import bp
from portal.api.auth import require_api
from portal.api.errors import ApiError
from portal.api.parsing import Fields, json_body, next_cursor, page_args
from portal.extensions import db
from portal.invoicing.amounts import to_minor
from portal.invoicing.period import Period
from portal.invoicing.run import run_period
from portal.models import Account, Invoice
from portal.rating.money import to_decimal

HUNDREDTH = to_decimal("0.01")


def invoice_json(invoice, corrects=None):
    """Amounts in the currency's minor units, as the invoice shows them (they are stored rounded)."""

    def amount(value):
        return str(to_minor(value, invoice.currency))

    return {
        "number": invoice.number, "kind": invoice.kind, "account": invoice.account.code, "period": invoice.period,
        "currency": invoice.currency, "issued_at": invoice.issued_at.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None, "status": invoice.status,
        "subtotal": amount(invoice.subtotal), "tax_rate": format(invoice.tax_rate.normalize(), "f"),
        "tax": amount(invoice.tax), "total": amount(invoice.total), "corrects": corrects,
        "pdf_sha256": invoice.pdf_sha256,
        "lines": [{"description": line.description, "quantity": str(line.quantity.quantize(HUNDREDTH)),
                   "unit": line.unit, "amount": amount(line.amount)} for line in invoice.lines],
    }


def _corrected_numbers(invoices):
    ids = {invoice.corrects_invoice_id for invoice in invoices if invoice.corrects_invoice_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))).all())


def _get(number):
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        raise ApiError(404, "not_found", f"There is no invoice or credit note {number}.")
    return invoice


@bp.post("/invoices/run")
@require_api("admin")
def run_invoices_endpoint():
    fields = Fields(json_body())
    period = fields.text("period", required=True, max_length=7)
    account = fields.text("account", max_length=64)
    fields.check()
    result = run_period(Period.parse(period), account or None, g.actor)
    return result.as_json()


@bp.get("/invoices")
@require_api("admin")
def list_invoices_endpoint():
    limit, cursor = page_args()
    query = (select(Invoice).options(selectinload(Invoice.lines), selectinload(Invoice.account))
             .order_by(Invoice.id.desc()).limit(limit))
    if request.args.get("account"):
        query = query.join(Account, Account.id == Invoice.account_id).where(Account.code == request.args["account"])
    if request.args.get("period"):
        query = query.where(Invoice.period == str(Period.parse(request.args["period"])))
    if cursor is not None:
        query = query.where(Invoice.id < cursor)
    invoices = db.session.scalars(query).all()
    numbers = _corrected_numbers(invoices)
    return {"items": [invoice_json(invoice, numbers.get(invoice.corrects_invoice_id)) for invoice in invoices],
            "next_cursor": next_cursor(invoices, limit)}


@bp.get("/invoices/<other_than(run):number>")
@require_api("admin")
def get_invoice_endpoint(number):
    invoice = _get(number)
    return invoice_json(invoice, _corrected_numbers([invoice]).get(invoice.corrects_invoice_id))


@bp.get("/invoices/<number>.pdf")
@require_api("admin")
def invoice_pdf_endpoint(number):
    """The PDF stored at issue, never rendered again: every download is byte-identical."""
    invoice = _get(number)
    if invoice.pdf is None:
        raise ApiError(404, "not_found", f"{number} has no PDF.")
    return Response(invoice.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"',
        "ETag": f'"{invoice.pdf_sha256}"', "Cache-Control": "private, max-age=31536000, immutable"})
