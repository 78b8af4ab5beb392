"""An issued invoice takes no new lines on PostgreSQL: 0003's triggers refuse UPDATE and DELETE of
invoices and their lines, but an INSERT INTO invoice_lines naming an issued invoice went through.

Every invoice is inserted already issued, with its lines after it in the same transaction (the ORM
inserts the invoice, then its lines), so "refuse lines of an issued invoice" has to mean "refuse
lines of an invoice that another transaction inserted". Row versions cannot say that reliably (an
UPDATE of the status makes a row version of this transaction too), so an AFTER INSERT trigger on
invoices notes each new invoice id in a transaction-local setting, and the lines trigger lets in
only lines of those invoices: whatever the invoice's status, issued, paid or credited. The setting
ends with its transaction (or savepoint, if that rolls back). Like 0003's triggers, it guards against
mistakes, not against a database user who sets the same setting on purpose. SQLite relies on the
ORM guard (portal/invoicing/immutable.py).

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The transaction-local list of invoice ids inserted by the current transaction: ",12,13".
SETTING = "voip2bill.invoices_inserted"

LINES_ONLY_WITH_THEIR_INVOICE = (
    f"""
    CREATE FUNCTION note_invoice_inserted() RETURNS trigger AS $$
    BEGIN
        PERFORM set_config('{SETTING}', coalesce(current_setting('{SETTING}', true), '') || ',' || NEW.id, true);
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER invoices_note_inserted AFTER INSERT ON invoices
    FOR EACH ROW EXECUTE FUNCTION note_invoice_inserted()
    """,
    f"""
    CREATE FUNCTION invoice_lines_only_with_their_invoice() RETURNS trigger AS $$
    BEGIN
        IF NEW.invoice_id::text = ANY (string_to_array(current_setting('{SETTING}', true), ',')) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'issued invoices are immutable: lines go in with their invoice; issue a credit note';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER invoice_lines_only_with_their_invoice BEFORE INSERT ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION invoice_lines_only_with_their_invoice()
    """,
)
LINES_ANY_TIME = (
    "DROP TRIGGER invoice_lines_only_with_their_invoice ON invoice_lines",
    "DROP FUNCTION invoice_lines_only_with_their_invoice()",
    "DROP TRIGGER invoices_note_inserted ON invoices",
    "DROP FUNCTION note_invoice_inserted()",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in LINES_ONLY_WITH_THEIR_INVOICE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in LINES_ANY_TIME:
            op.execute(statement)
