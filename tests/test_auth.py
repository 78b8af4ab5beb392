import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.auth.api_keys import sha256_hex
from portal.auth.passwords import verify_password
from portal.extensions import db
from portal.models import LoginSession, User
from portal.models.types import utcnow
from tests import factories
from tests.conftest import AuthActions
from tests.factories import PASSWORD


@pytest.fixture
def users(app):
    """Seeded in a context of its own: a context left open would leak `g` into client requests."""
    with app.app_context():
        made = {role: factories.user(role=role, email=f"{role}@example.com") for role in
                ("admin", "accountant", "customer")}
        made["inactive"] = factories.user(role="admin", email="gone@example.com", active=False)
        db.session.commit()
        return {role: user.id for role, user in made.items()}


@pytest.mark.parametrize("role, landing", [
    ("admin", "/admin/"), ("accountant", "/admin/"), ("customer", "/"),
])
def test_good_login_lands_on_the_role_home(client, auth, users, role, landing):
    response = auth.login(f"{role}@example.com", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == landing
    page = client.get(landing)
    assert page.status_code == 200
    assert f"{role}@example.com" in page.get_data(as_text=True)


@pytest.mark.parametrize("email, password", [
    ("admin@example.com", "wrong-password-123"),
    ("nobody@example.com", PASSWORD),
    ("gone@example.com", PASSWORD),
    ("", ""),
])
def test_bad_login_is_refused_with_a_message(client, auth, users, email, password):
    response = auth.login(email, password)
    assert response.status_code in (200, 401)
    assert client.get("/admin/").status_code == 302  # still anonymous
    if email:
        assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_login_email_is_case_insensitive(client, auth, users):
    assert auth.login("  ADMIN@Example.com ", PASSWORD).status_code == 302


def test_password_is_stored_as_argon2id(app, users):
    with app.app_context():
        stored = db.session.scalar(select(User).where(User.email == "admin@example.com")).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with app.app_context():
        assert verify_password(stored, PASSWORD)


def test_the_product_hashes_at_full_cost_unless_configured_otherwise(database_url):
    """The suite hashes cheaply (conftest); an app built from the plain configuration does not."""
    from portal import create_app
    from portal.auth.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x" * 40})
    with app.app_context():
        assert "$m=65536,t=3,p=4$" in hash_password("correct-horse-battery")


@pytest.mark.parametrize("next_url, landing", [
    ("/admin/account/", "/admin/account/"),
    ("https://evil.example/", "/admin/"),
    ("//evil.example/", "/admin/"),
    ("/\\evil.example", "/admin/"),
])
def test_next_only_redirects_to_local_paths(auth, users, next_url, landing):
    response = auth.login("admin@example.com", PASSWORD, next_url=next_url)
    assert response.headers["Location"] == landing


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, users):
    response = auth.login("admin@example.com", PASSWORD)
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_session_is_renewed_at_login(app, client, auth, users):
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    auth.login("admin@example.com", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["_user_id"]
    with app.app_context():
        assert db.session.scalar(select(LoginSession.user_id).where(
            LoginSession.token_hash == sha256_hex(token))) == users["admin"]


def test_idle_session_expires(app, client, auth, users):
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=1)
    app.permanent_session_lifetime = timedelta(seconds=2)
    auth.login("admin@example.com", PASSWORD)
    for _ in range(3):  # activity keeps the session alive past its lifetime…
        time.sleep(1)
        assert client.get("/admin/").status_code == 200
    time.sleep(3)  # …idleness ends it, checked on the server from the signed timestamp
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_needs_post_and_signs_out(client, auth, users):
    auth.login("admin@example.com", PASSWORD)
    assert client.get("/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/admin/").status_code == 302


def test_password_change(client, auth, users, app):
    auth.login("customer@example.com", PASSWORD)
    token = auth.csrf_token("/password")
    response = client.post("/password", data={"csrf_token": token, "current_password": PASSWORD,
                                              "new_password": "brand-new-secret-1",
                                              "confirm": "brand-new-secret-1"})
    assert response.status_code == 302
    auth.logout()
    assert auth.login("customer@example.com", PASSWORD).status_code != 302
    assert auth.login("customer@example.com", "brand-new-secret-1").status_code == 302


def test_password_change_refuses_wrong_current_password(client, auth, users):
    auth.login("customer@example.com", PASSWORD)
    token = auth.csrf_token("/password")
    response = client.post("/password", data={"csrf_token": token, "current_password": "not-it-at-all",
                                              "new_password": "brand-new-secret-1",
                                              "confirm": "brand-new-secret-1"})
    assert "The current password is wrong." in response.get_data(as_text=True)


def _copy_of_cookie(client):
    """The session cookie's value, as someone who copies it out of the browser would take it."""
    return client.get_cookie("session").value


def _browser_with(app, cookie):
    """A fresh browser that presents a copied session cookie."""
    browser = app.test_client()
    browser.set_cookie("session", cookie)
    return browser


def _signed_out(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_copied_cookie_is_refused_after_sign_out(app, client, auth, users):
    auth.login("customer@example.com", PASSWORD)
    copy = _copy_of_cookie(client)
    assert _browser_with(app, copy).get("/").status_code == 200
    assert auth.logout().status_code == 302
    assert _signed_out(_browser_with(app, copy).get("/"))


@pytest.mark.parametrize("everywhere, other_browser_kept", [(False, True), (True, False)])
def test_sign_out_ends_this_session_or_every_one(app, client, auth, users, everywhere, other_browser_kept):
    phone = app.test_client()
    AuthActions(phone).login("customer@example.com", PASSWORD)
    auth.login("customer@example.com", PASSWORD)
    copy = _copy_of_cookie(client)
    auth.logout(everywhere=everywhere)
    assert _signed_out(_browser_with(app, copy).get("/"))
    assert (phone.get("/").status_code == 200) is other_browser_kept


def test_the_sign_out_everywhere_button_ends_every_session(app, client, auth, users):
    phone = app.test_client()
    AuthActions(phone).login("customer@example.com", PASSWORD)
    auth.login("customer@example.com", PASSWORD)
    page = client.get("/password").get_data(as_text=True)
    assert 'name="everywhere" value="1"' in page and "Sign out on every device" in page
    client.post("/logout", data={"csrf_token": auth.form_token("/password", "/logout"), "everywhere": "1"})
    assert _signed_out(phone.get("/"))


def test_sessions_in_use_are_kept_and_idle_ones_pruned_at_the_next_sign_in(app, client, auth, users):
    auth.login("customer@example.com", PASSWORD)
    AuthActions(app.test_client()).login("admin@example.com", PASSWORD)
    with app.app_context():
        long_ago = utcnow() - app.permanent_session_lifetime - timedelta(minutes=2)
        db.session.execute(update(LoginSession).values(last_seen_at=long_ago))
        db.session.commit()
    assert client.get("/").status_code == 200  # a session in use says so…
    AuthActions(app.test_client()).login("accountant@example.com", PASSWORD)  # …and is kept by the pruning
    with app.app_context():
        assert set(db.session.scalars(select(LoginSession.user_id))) == {users["customer"], users["accountant"]}
    assert client.get("/").status_code == 200


def test_a_copied_cookie_is_refused_after_the_user_is_deactivated(app, client, auth, users):
    customer = app.test_client()
    AuthActions(customer).login("customer@example.com", PASSWORD)
    copy = _copy_of_cookie(customer)
    auth.login("admin@example.com", PASSWORD)
    with app.app_context():
        account_id = db.session.get(User, users["customer"]).account_id
    path = f"/admin/user/edit/?id={users['customer']}"
    response = client.post(path, data={"csrf_token": auth.form_token(path, ""), "email": "customer@example.com",
                                       "name": "", "role": "customer", "account": str(account_id), "password": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, users["customer"]).active is False
    assert _signed_out(_browser_with(app, copy).get("/"))
    # Made active again later, the user signs in anew: the old session stays ended.
    with app.app_context():
        db.session.get(User, users["customer"]).active = True
        db.session.commit()
    assert _signed_out(_browser_with(app, copy).get("/"))


def test_a_password_change_ends_every_other_session_and_copy_but_not_this_one(app, client, auth, users):
    other = app.test_client()
    AuthActions(other).login("customer@example.com", PASSWORD)
    auth.login("customer@example.com", PASSWORD)
    copy = _copy_of_cookie(client)
    assert other.get("/profile").status_code == 200
    response = client.post("/password", data={"csrf_token": auth.form_token("/password", ""),
                                              "current_password": PASSWORD, "new_password": "brand-new-secret-1",
                                              "confirm": "brand-new-secret-1"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert _signed_out(other.get("/profile"))
    assert _signed_out(_browser_with(app, copy).get("/profile"))


def test_a_deactivated_user_is_signed_out_at_the_next_request(app, client, auth, users):
    auth.login("admin@example.com", PASSWORD)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.get(User, users["admin"]).active = False
        db.session.commit()
    assert client.get("/admin/").status_code == 302
