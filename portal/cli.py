"""`flask` commands: setup, demo data, users. Each command commits once, or rolls back on error."""
import click
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from portal.extensions import db


@click.command("setup")
@with_appcontext
def setup_command():
    """Upgrade the schema and load reference data; safe to run again."""
    from portal.reference import load_reference_data

    upgrade()
    counts = load_reference_data()
    db.session.commit()
    for name, count in counts.items():
        click.echo(f"{name}: {count} written")
    click.echo("Setup complete.")


@click.command("demo")
@click.option("--calls", default=10_000, show_default=True, help="Calls fed through the rating pipeline.")
@click.option("--invoices/--no-invoices", default=True, show_default=True,
              help="Invoice the months before last (last month is left for you to close).")
@with_appcontext
def demo_command(calls, invoices):
    """Add a realistic demo: carriers, tariffs, staff, three customers and their last 60 days of calls."""
    from portal.demo import DemoExists, close_demo_months, load_demo

    try:
        logins = load_demo(calls)
    except DemoExists as exists:
        db.session.rollback()
        click.echo(str(exists))
        return
    db.session.commit()
    issued = close_demo_months() if invoices else []
    if issued:
        click.echo(f"Invoiced the months before last: {', '.join(issued)}.")
    click.echo("Demo data loaded. Sign in at http://127.0.0.1:5000/login with:")
    for role, email, password in logins:
        click.echo(f"  {role:<11} {email:<32} {password}")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "accountant", "customer"]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--account", "account_code", help="Account code (customers only).")
@click.option("--name", default="")
def create_user_command(email, role, password, account_code, name):
    """Create a user who can sign in to the portal."""
    from portal.auth.passwords import WeakPassword
    from portal.auth.service import create_user
    from portal.models import Account, User

    if db.session.scalar(select(User).where(User.email == email.strip().lower())):
        raise click.ClickException(f"A user {email} already exists.")
    account = None
    if role == "customer":
        if not account_code:
            raise click.ClickException("A customer needs --account CODE.")
        account = db.session.scalar(select(Account).where(Account.code == account_code))
        if account is None:
            raise click.ClickException(f"No account {account_code}.")
    try:
        create_user(email, password, role, name=name, account=account)
    except WeakPassword as weak:
        raise click.ClickException(str(weak)) from None
    db.session.commit()
    click.echo(f"Created {role} {email.strip().lower()}.")


api_key_group = AppGroup("api-key", help="API keys for switches and integrations.")


@api_key_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "switch"]), required=True)
def api_key_create_command(name, role):
    """Create a key; it is printed once, on the last line, and stored only as a hash."""
    from portal.auth.api_keys import create_api_key
    from portal.models import ApiKey

    if db.session.scalar(select(ApiKey).where(ApiKey.name == name)):
        raise click.ClickException(f"A key named {name} exists already.")
    key, token = create_api_key(name, role)
    db.session.commit()
    click.echo(f"Created {role} key {name} ({key.key_prefix}…). Keep it now; it cannot be shown again:")
    click.echo(token)


@api_key_group.command("revoke")
@click.argument("name")
def api_key_revoke_command(name):
    """Revoke a key: the next request with it is refused."""
    from portal.auth.api_keys import revoke_api_key
    from portal.models import ApiKey

    key = db.session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise click.ClickException(f"No key named {name}.")
    revoke_api_key(key)
    db.session.commit()
    click.echo(f"Revoked {name}.")


ledger_group = AppGroup("ledger", help="The double-entry ledger.")


@ledger_group.command("verify")
def ledger_verify_command():
    """Check that every transaction sums to zero, every posting is in its ledger account's currency,
    every cached balance equals its postings and every account's held amount its open holds."""
    from portal.ledger.verify import verify

    problems = verify()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found.")
    click.echo("Ledger verified: every transaction balances, every posting is in its account's currency, every "
               "cached balance matches its postings and every account's held amount its open holds.")


@ledger_group.command("expire-holds")
def expire_holds_command():
    """Close the holds of calls whose CDR never came once they lapse (run it from cron): they already
    reserve nothing, but an open hold should mean a call that may still be going on."""
    from portal.ledger.holds import expire_holds

    count = expire_holds()
    db.session.commit()
    click.echo(f"expired {count} lapsed hold(s)")


def init_commands(app):
    from portal.benchmarks import bench_group
    from portal.cdrs.commands import cdrs_group
    from portal.invoicing.commands import invoices_group

    for command in (setup_command, demo_command, create_user_command, api_key_group, ledger_group, cdrs_group,
                    invoices_group, bench_group):
        app.cli.add_command(command)
