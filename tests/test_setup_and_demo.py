from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Account,
    BanPlan,
    CarrierRate,
    Country,
    Currency,
    Gateway,
    HangupCause,
    PeakSchedule,
    Prefix,
    Provider,
    RetailPlan,
    User,
    VoipPlan,
)


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Country, Currency, Prefix, HangupCause)}


def _rows():
    """Every reference row, in full."""
    return {model.__name__: sorted(tuple(getattr(row, column.key) for column in model.__table__.columns)
                                   for row in db.session.scalars(select(model)))
            for model in (Country, Currency, Prefix, HangupCause)}


def test_setup_on_an_empty_database_and_again_leaves_the_same_data(empty_database_url):
    from tests.conftest import make_app

    app = make_app(empty_database_url("setup"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "countries: 0 written" not in first.output and "Setup complete." in first.output
    with app.app_context():
        before = _rows()
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0, second.output
    assert "countries: 0 written" in second.output and "hangup_causes: 0 written" in second.output
    with app.app_context():
        assert _rows() == before and len(before["Country"]) > 240
        db.engine.dispose()


def test_reference_data_is_complete(app_ctx):
    gb = db.session.get(Country, "GB")
    assert (gb.name, gb.calling_code) == ("United Kingdom", "44")
    assert db.session.get(Prefix, "1").name == "United States"
    assert db.session.get(Prefix, "49").country_iso2 == "DE"
    assert db.session.get(Currency, "JPY").digits == 0
    assert db.session.get(Currency, "EUR").name == "Euro"
    assert db.session.get(HangupCause, 16).enumeration == "NORMAL_CLEARING"
    assert db.session.get(HangupCause, 17).enumeration == "USER_BUSY"
    assert _counts()["Country"] > 240


def test_setup_corrects_a_changed_reference_row(app, runner):
    with app.app_context():
        db.session.get(Country, "FR").name = "Wrong"
        db.session.commit()
    result = runner.invoke(args=["setup"])
    assert "countries: 1 written" in result.output
    with app.app_context():
        assert db.session.get(Country, "FR").name == "France"


def test_demo_loads_a_realistic_operator(app, runner):
    result = runner.invoke(args=["demo", "--calls", "0"])
    assert result.exit_code == 0, result.output
    assert "admin@voip2bill.example" in result.output and "/login" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 2
        assert db.session.scalar(select(func.count()).select_from(Gateway)) >= 2
        assert db.session.scalar(select(func.count()).select_from(CarrierRate)) > 20
        assert db.session.scalar(select(func.count()).select_from(BanPlan)) == 1
        assert db.session.scalar(select(func.count()).select_from(VoipPlan)) >= 2
        peak_plan = db.session.scalar(select(RetailPlan).where(RetailPlan.peak_schedule_id.isnot(None)))
        assert isinstance(peak_plan.peak_schedule, PeakSchedule)
        accounts = db.session.scalars(select(Account).order_by(Account.code)).all()
        assert [(a.billing, a.currency) for a in accounts] == [
            ("prepaid", "EUR"), ("postpaid", "EUR"), ("prepaid", "USD")]
        assert accounts[1].credit_limit == Decimal(500)
        for account in accounts:
            assert account.voip_plan.currency == account.currency
        roles = sorted(db.session.scalars(select(User.role)))
        assert roles == ["accountant", "admin", "customer", "customer", "customer"]


def test_demo_twice_changes_nothing(app, runner):
    runner.invoke(args=["demo", "--calls", "0"])
    again = runner.invoke(args=["demo", "--calls", "0"])
    assert again.exit_code == 0 and "already loaded" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Account)) == 3


def test_every_demo_login_lands_on_a_working_page(app, runner, client, auth):
    from portal.demo import ACCOUNTANT, ADMIN, CUSTOMERS

    runner.invoke(args=["demo", "--calls", "0"])
    for role, email, password in (ADMIN, ACCOUNTANT, *CUSTOMERS):
        response = auth.login(email, password)
        assert response.status_code == 302, email
        page = client.get(response.headers["Location"])
        assert page.status_code == 200, email
        auth.logout()


def test_create_user_command(app, runner):
    result = runner.invoke(args=["create-user", "Ops@Example.com", "--role", "admin", "--password",
                                 "long-enough-pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "ops@example.com")) == "admin"
    again = runner.invoke(args=["create-user", "ops@example.com", "--role", "admin", "--password", "x" * 12])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_prompts_for_the_password(app, runner, client, auth):
    result = runner.invoke(args=["create-user", "new@example.com", "--role", "accountant"],
                           input="prompted-secret\nprompted-secret\n")
    assert result.exit_code == 0, result.output
    assert auth.login("new@example.com", "prompted-secret").status_code == 302
    assert client.get("/admin/invoice/").status_code == 200


def test_create_user_refuses_short_password_and_customer_without_account(runner):
    short = runner.invoke(args=["create-user", "a@example.com", "--role", "admin", "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
    orphan = runner.invoke(args=["create-user", "c@example.com", "--role", "customer", "--password", "x" * 12])
    assert orphan.exit_code != 0 and "--account" in orphan.output


def test_demo_feeds_its_calls_through_the_rating_pipeline(app, runner):
    from portal.ledger.verify import verify
    from portal.models import Cdr, LedgerTransaction

    assert runner.invoke(args=["demo", "--calls", "400"]).exit_code == 0
    with app.app_context():
        statuses = dict(db.session.execute(select(Cdr.status, func.count()).group_by(Cdr.status)).all())
        assert sum(statuses.values()) == 400 and statuses["rated"] > 380
        charged = db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                                    .where(LedgerTransaction.type == "call_charge"))
        answered = db.session.scalar(select(func.count()).select_from(Cdr).where(Cdr.billsec > 0,
                                                                                  Cdr.status == "rated"))
        assert charged == answered
        assert all(cdr.trace["status"] == cdr.status for cdr in db.session.scalars(select(Cdr).limit(50)))
        assert verify() == []


def test_demo_invoices_the_months_before_last_and_leaves_last_month_to_close(app, runner):
    from datetime import timedelta

    from portal.demo import DAYS
    from portal.invoicing.period import Period
    from portal.models import Cdr, Invoice
    from portal.models.types import utcnow

    result = runner.invoke(args=["demo", "--calls", "300"])
    assert result.exit_code == 0, result.output
    today = utcnow().date()
    last_month = Period.parse((today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    first = Period.parse((today - timedelta(days=DAYS)).strftime("%Y-%m"))
    with app.app_context():
        periods = set(db.session.scalars(select(Invoice.period)))
        expected = set()
        while first < last_month:
            expected.add(str(first))
            first = first.following()
        assert periods == expected and expected
        # Every account pays a number rental, so every account has an invoice for each closed month.
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 3 * len(expected)
        for account in db.session.scalars(select(Account)):
            start, _ = last_month.bounds(account.timezone)
            assert db.session.scalar(select(func.count()).select_from(Cdr).where(
                Cdr.account_id == account.id, Cdr.invoice_id.isnot(None), Cdr.start >= start)) == 0
    assert "Invoiced the months before last" in result.output
