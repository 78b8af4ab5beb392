"""Password hashing with Argon2id: slow on purpose, so a stolen table does not give passwords away."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10


class WeakPassword(ValueError):
    """The password is too short to be safe."""


def hash_password(password):
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    return _hasher.hash(password)


def verify_password(password_hash, password):
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)


#: Verified against when the e-mail is unknown, so a miss takes as long as a wrong password.
DUMMY_HASH = _hasher.hash("not-a-real-password-0000")
