"""Checking credentials and changing passwords, apart from the HTTP views."""
from sqlalchemy import select

from portal.auth.passwords import hash_password, needs_rehash, verify_nothing, verify_password
from portal.extensions import db
from portal.models import User
from portal.models.types import utcnow


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
    if not verify_password(user.password_hash, current_password):
        raise PasswordMismatch("The current password is wrong.")
    user.password_hash = hash_password(new_password)


def create_user(email, password, role, name="", account=None):
    user = User(email=email.strip().lower(), password_hash=hash_password(password), role=role, name=name,
                account=account)
    db.session.add(user)
    db.session.flush()
    return user
