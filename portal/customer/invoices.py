"""The customer's invoices, credit notes and receipts: listed, filtered by year, downloaded as the
PDFs that were issued. Another customer's number is a 404 (DESIGN §5b)."""
from flask import Response, abort, render_template, request
from flask_login import current_user

from portal.auth.session import role_required
from portal.customer import bp
from portal.extensions import db
from portal.invoicing.listing import document_of, document_years, documents_of, owns_receipt, receipts_of
from portal.invoicing.receipts import receipt_number, receipt_pdf
from portal.urls import page_number

PER_PAGE = 12


def _pdf(data, filename):
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})


@bp.route("/invoices")
@role_required("customer")
def invoices():
    account = current_user.account
    years = document_years(account.id)
    year = request.args.get("year", type=int)
    if year not in years:
        year = None
    documents = db.paginate(documents_of(account.id, year), page=page_number("page"), per_page=PER_PAGE,
                            error_out=False)
    receipts = db.paginate(receipts_of(account.id, year), page=page_number("receipts"), per_page=PER_PAGE,
                           error_out=False)
    return render_template("customer/invoices.html", account=account, documents=documents, receipts=receipts,
                           years=years, year=year, receipt_number=receipt_number)


@bp.route("/invoices/<number>.pdf")
@role_required("customer")
def invoice_pdf(number):
    """The PDF stored at issue, byte for byte."""
    document = document_of(current_user.account.id, number)
    if document is None or document.pdf is None:
        abort(404)
    return _pdf(document.pdf, f"{document.number}.pdf")


@bp.route("/receipts/<int:transaction_id>.pdf")
@role_required("customer")
def receipt(transaction_id):
    if not owns_receipt(current_user.account.id, transaction_id):
        abort(404)
    return _pdf(receipt_pdf(transaction_id), f"{receipt_number(transaction_id)}.pdf")
