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


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(name, role):
    """Returns (ApiKey, token); the token is shown once and cannot be recovered."""
    token = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, role=role, key_prefix=token[:12], key_hash=_hash(token))
    db.session.add(key)
    db.session.flush()
    return key, token


#: Built once and run on the connection (no ORM objects): every API request runs it, and building a
#: statement costs more than running it.
_BY_HASH = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.key_hash, ApiKey.revoked_at).where(
    ApiKey.key_hash == bindparam("digest"))


def find_api_key(token):
    """The live key for `token` as a row (id, name, role, key_hash, revoked_at), or None."""
    if not token or not token.startswith(PREFIX):
        return None
    digest = _hash(token)
    key = db.session.connection().execute(_BY_HASH, {"digest": digest}).first()
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def revoke_api_key(key):
    key.revoked_at = utcnow()
