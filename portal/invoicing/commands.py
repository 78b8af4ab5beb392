"""`flask invoices …`: close a month, credit an invoice, write out a stored PDF or a receipt."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.formatting import money
from portal.invoicing.credit_notes import issue_credit_note
from portal.invoicing.period import Period
from portal.invoicing.receipts import receipt_number, receipt_pdf
from portal.invoicing.run import accounts_to_close, run_period
from portal.models import Invoice

invoices_group = AppGroup("invoices", help="Monthly invoices, credit notes and receipts.")


def _document(number):
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        raise click.ClickException(f"There is no invoice or credit note {number}.")
    return invoice


@invoices_group.command("run")
@click.option("--period", required=True, help="The month to close, YYYY-MM (e.g. 2026-10).")
@click.option("--account", "account_code", help="Only this account.")
@click.option("--annex/--no-annex", default=None, help="Attach every call to each invoice [INVOICE_CALL_ANNEX].")
def run_command(period, account_code, annex):
    """Close a month: one immutable invoice with its PDF per account that has something to bill.
    Running it again issues nothing new."""
    if annex is None:
        annex = current_app.config["INVOICE_CALL_ANNEX"]
    try:
        month = Period.parse(period)
        count = len(accounts_to_close(month, account_code))
        with click.progressbar(length=count, label=f"Closing {month}", show_pos=True,
                               item_show_func=lambda code: code) as bar:
            result = run_period(month, account_code, annex=annex, progress=lambda code: bar.update(1, code))
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    for failure in result.failed:
        click.echo(f"account {failure['account']}: {failure['message']} ({failure['code']})", err=True)
    if result.created:
        click.echo(f"Issued {len(result.created)} invoice(s): {result.created[0]} … {result.created[-1]}")
    else:
        click.echo("Issued no new invoice.")
    click.echo(f"{len(result.existing)} already issued for {month}; {len(result.failed)} account(s) failed.")
    if result.failed:
        raise SystemExit(1)


@invoices_group.command("credit")
@click.argument("number")
@click.option("--reason", required=True, help="Why the invoice is corrected (printed on the credit note).")
@click.option("--amount", help="Net amount to credit (tax is added); the whole invoice when omitted.")
def credit_command(number, reason, amount):
    """Issue a credit note against an invoice."""
    try:
        note = issue_credit_note(_document(number), reason, amount=amount)
    except (DomainError, ValueError) as error:
        db.session.rollback()
        raise click.ClickException(getattr(error, "message", str(error))) from None
    db.session.commit()
    click.echo(f"Issued {note.number}: {money(note.total, note.currency)} credited on {number}.")


@invoices_group.command("pdf")
@click.argument("number")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def pdf_command(number, output):
    """Write the stored PDF of an invoice or credit note, byte for byte as issued."""
    invoice = _document(number)
    path = output or Path(f"{number}.pdf")
    path.write_bytes(invoice.pdf)
    click.echo(f"Wrote {path} (SHA-256 {invoice.pdf_sha256}).")


@invoices_group.command("receipt")
@click.argument("transaction_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def receipt_command(transaction_id, output):
    """Write the receipt PDF of a payment or top-up."""
    try:
        pdf = receipt_pdf(transaction_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    path = output or Path(f"{receipt_number(transaction_id)}.pdf")
    path.write_bytes(pdf)
    click.echo(f"Wrote {path}.")
