"""API keys for switches and integrations: long random tokens, kept only as SHA-256 hashes.
(A slow password hash adds nothing for 256-bit random keys and would slow every API call.)"""
import hashlib
import hmac
import secrets

from sqlalchemy import bindparam, select

from portal.extensions import db
from portal.models import ApiKey
from portal.models.types import utcnow

PREFIX = "v2b_"


def sha256_hex(token):
    """What a random token (an API key, a session's) is stored and looked up as."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(name, role):
    """Returns (ApiKey, token); the token is shown once and cannot be recovered."""
    token = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, role=role, key_prefix=token[:12], key_hash=sha256_hex(token))
    db.session.add(key)
    db.session.flush()
    return key, token


#: Built once and run on the connection (no ORM objects): every API request runs it, and building a
#: statement costs more than running it.
_BY_HASH = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.key_hash, ApiKey.revoked_at).where(
    ApiKey.key_hash == bindparam("digest"))


def digest_of(token):
    """What a token is looked up by, or None for what cannot be a key of ours."""
    if not token or not token.startswith(PREFIX):
        return None
    return sha256_hex(token)


def key_by_digest(digest):
    """The live key whose token has this digest, as a row (id, name, role, key_hash, revoked_at),
    or None."""
    if digest is None:
        return None
    return live_key(db.session.connection().execute(_BY_HASH, {"digest": digest}).first(), digest)


def live_key(key, digest):
    """`key` (a row with at least id, role, key_hash, revoked_at; None for no key) if it is live
    and its token has this digest, else None."""
    if key is None or key.key_hash is None or key.revoked_at is not None \
            or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def revoke_api_key(key):
    key.revoked_at = utcnow()
