"""What an account's open holds reserve, cached on the account (`held`), like its balance.

Authorization summed every open hold of the account twice per call with a uuid, so an account with
thousands of calls in progress (a wholesale customer) made each of its authorizations slower than
the last. With the total on the account row, reading what is available and reserving it is one
row, whatever the number of calls. Existing open holds are summed once here.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("held", portal.models.types.Money(precision=18, scale=6), nullable=False,
                                        server_default="0"))
    op.execute("UPDATE accounts SET held = COALESCE((SELECT SUM(holds.amount) FROM holds "
               "WHERE holds.account_id = accounts.id AND holds.status = 'open'), 0)")


def downgrade():
    with op.batch_alter_table("accounts") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("held")
