"""Open holds by account, in expiry order, with their amounts: what every authorization with a
call uuid reads twice under the account's lock (its lapsed holds to close, then the sum of the rest).

The index on (account_id, status) found an account's open holds, but both questions then read
every one of them from the table; an account with many calls in progress made each authorization
slower than the last. With expires_at and amount in the index, closing lapsed holds is a range
seek and the sum reads the index alone.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_holds_account_open", "holds", ["account_id", "status", "expires_at", "amount"])
    op.drop_index("ix_holds_account_status", table_name="holds")


def downgrade():
    op.create_index("ix_holds_account_status", "holds", ["account_id", "status"])
    op.drop_index("ix_holds_account_open", table_name="holds")
