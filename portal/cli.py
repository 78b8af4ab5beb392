"""`flask` commands: setup, demo data, users. Each command commits once, or rolls back on error."""
import click
from flask.cli import with_appcontext
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
@with_appcontext
def demo_command():
    """Add a realistic demo: carriers, tariffs, an admin, an accountant and three customers."""
    from portal.demo import DemoExists, load_demo

    try:
        logins = load_demo()
    except DemoExists as exists:
        db.session.rollback()
        click.echo(str(exists))
        return
    db.session.commit()
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


def init_commands(app):
    for command in (setup_command, demo_command, create_user_command):
        app.cli.add_command(command)
