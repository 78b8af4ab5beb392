"""Checking credentials, changing passwords and the server-side sessions, apart from the HTTP views."""
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from portal.auth.api_keys import sha256_hex
from portal.auth.passwords import hash_password, needs_rehash, verify_nothing, verify_password
from portal.extensions import db
from portal.models import LoginSession, User
from portal.models.types import utcnow

#: How often a session in use records that it is: a write a minute, not one per request.
TOUCH_EVERY = timedelta(minutes=1)


class PasswordMismatch(ValueError):
    """The current password given was wrong."""


def authenticate(email, password):
    """The active user with these credentials, or None; equally slow either way."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_nothing(password)
        return None
    if not user.active or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def change_password(user, current_password, new_password):
    """A new password ends every session of the user, copies of this browser's cookie included;
    this browser goes on in a fresh session (`user.get_id()` names it)."""
    if not verify_password(user.password_hash, current_password):
        raise PasswordMismatch("The current password is wrong.")
    user.password_hash = hash_password(new_password)
    end_sessions(user)
    start_session(user)


def start_session(user):
    """Open a server-side session for `user`, the one `user.get_id()` names from now on. Sessions
    that idled out (their cookie has expired) are pruned on the way."""
    now = utcnow()
    idle_out = now - current_app.permanent_session_lifetime - TOUCH_EVERY
    db.session.execute(delete(LoginSession).where(LoginSession.last_seen_at < idle_out))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token_hash=sha256_hex(token), created_at=now, last_seen_at=now))
    user.session_token = token


def session_user(token):
    """The active user whose session this token names, or None once the session has ended."""
    found = db.session.execute(
        select(User, LoginSession.id, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == sha256_hex(token))).first()
    if found is None or not found.User.active:
        return None
    user, session_id, last_seen_at = found
    now = utcnow()
    if now - last_seen_at > TOUCH_EVERY:
        # Its own short transaction: the request may read only, and commits nothing then.
        with db.engine.begin() as connection:
            connection.execute(update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=now))
    user.session_token = token
    return user


def end_session(user):
    """Sign-out: the session `user` was loaded in ends, whoever holds a copy of its cookie; the
    user's sessions in other browsers go on."""
    db.session.execute(delete(LoginSession).where(LoginSession.token_hash == sha256_hex(user.session_token)))


def end_sessions(user):
    """Every session of the user ends: signing out everywhere, a new password, a deactivation."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def create_user(email, password, role, name="", account=None):
    user = User(email=email.strip().lower(), password_hash=hash_password(password), role=role, name=name,
                account=account)
    db.session.add(user)
    db.session.flush()
    return user
