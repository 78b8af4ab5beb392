"""Tariff shapes the rating engine relies on: prefixes, numbers, ban and caller prefixes are ASCII
digits of the right length; peak weekdays are digit lists; a peak window may run past midnight
(no more start-before-end check); a holiday calendar may name a subdivision (GB-ENG).

`trim(x, '0123456789') = ''` is the digits test because it works the same on SQLite and
PostgreSQL. A database already holding rows these checks refuse stops the upgrade: fix the rows
the rating engine's log names, then upgrade again. Downgrading refuses overnight windows and
subdivision calendars for the same reason, rather than cutting them.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _digits(column, shortest):
    return f"length({column}) BETWEEN {shortest} AND 15 AND trim({column}, '0123456789') = ''"


#: (table, constraint name without its ck_table_ prefix, expression)
CHECKS = (
    *((table, "prefix_digits", f"prefix IS NULL OR ({_digits('prefix', 1)})")
      for table in ("retail_rates", "carrier_rates")),
    *((table, "number_digits", f"number IS NULL OR ({_digits('number', 3)})")
      for table in ("retail_rates", "carrier_rates")),
    ("ban_prefixes", "prefix_digits", _digits("prefix", 1)),
    ("voip_plan_retail_plans", "caller_prefix_digits", f"caller_prefix = '' OR ({_digits('caller_prefix', 1)})"),
    ("peak_schedules", "weekdays_shape", "weekdays <> '' AND trim(weekdays, '0123456,') = ''"),
    ("peak_schedules", "holiday_country_shape",
     "holiday_country = '' OR length(holiday_country) = 2 OR substr(holiday_country, 3, 1) = '-'"),
)
TABLES = tuple(dict.fromkeys(table for table, _, _ in CHECKS))


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            if table == "peak_schedules":
                batch.drop_constraint(op.f("ck_peak_schedules_start_before_end"), type_="check")
                batch.alter_column("holiday_country", existing_type=sa.String(2), type_=sa.String(40),
                                   existing_nullable=False)
            for check_table, name, expression in CHECKS:
                if check_table == table:
                    batch.create_check_constraint(op.f(f"ck_{table}_{name}"), expression)


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            for check_table, name, _ in CHECKS:
                if check_table == table:
                    batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            if table == "peak_schedules":
                batch.alter_column("holiday_country", existing_type=sa.String(40), type_=sa.String(2),
                                   existing_nullable=False)
                batch.create_check_constraint(op.f("ck_peak_schedules_start_before_end"), "start_time < end_time")
