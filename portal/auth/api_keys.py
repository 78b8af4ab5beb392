"""API keys for switches and integrations: long random tokens, kept only as SHA-256 hashes.
(A slow password hash adds nothing for 256-bit random keys and would slow every API call.)"""
import hashlib
import hmac
import secrets

from sqlalchemy import select

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


def find_api_key(token):
    """The live key for `token`, or None."""
    if not token or not token.startswith(PREFIX):
        return None
    digest = _hash(token)
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def revoke_api_key(key):
    key.revoked_at = utcnow()
