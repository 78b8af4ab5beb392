"""Ledger rules: call-cost and adjustment ledger accounts; postings append-only on PostgreSQL.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_KINDS = "('customer', 'cash', 'call_revenue', 'fee_revenue', 'tax_payable', 'provider_payable', " \
            "'voucher_liability')"
NEW_KINDS = "('customer', 'cash', 'call_revenue', 'call_cost', 'fee_revenue', 'tax_payable', " \
            "'provider_payable', 'voucher_liability', 'adjustments')"


def _kinds(values):
    with op.batch_alter_table("ledger_accounts") as batch:
        batch.drop_constraint(op.f("ck_ledger_accounts_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_accounts_kind"), f"kind IN {values}")


def upgrade():
    _kinds(NEW_KINDS)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION postings_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'postings are append-only: post a correcting transaction instead';
            END $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
            FOR EACH ROW EXECUTE FUNCTION postings_append_only()
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER postings_append_only ON postings")
        op.execute("DROP FUNCTION postings_append_only()")
    _kinds(OLD_KINDS)
