"""Password hashing with Argon2id: slow on purpose, so a stolen table does not give passwords away.

The cost comes from the configuration (argon2-cffi's defaults, RFC 9106's low-memory profile,
unless set), so a test suite that creates thousands of users can make each hash cheap while the
product keeps the full cost; the algorithm is Argon2id either way.
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10


class WeakPassword(ValueError):
    """The password is too short to be safe."""


def init_passwords(app):
    hasher = PasswordHasher(time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_KIB"],
                            parallelism=app.config["ARGON2_PARALLELISM"])
    #: Verified against when the e-mail is unknown, so a miss takes as long as a wrong password.
    app.extensions["passwords"] = (hasher, hasher.hash("not-a-real-password-0000"))


def _hasher():
    return current_app.extensions["passwords"][0]


def hash_password(password):
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    return _hasher().hash(password)


def verify_password(password_hash, password):
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password):
    """Spend a wrong password's time when there is no user to check it against."""
    verify_password(current_app.extensions["passwords"][1], password)


def needs_rehash(password_hash):
    return _hasher().check_needs_rehash(password_hash)
