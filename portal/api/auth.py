"""Bearer-key authentication and role checks for every API endpoint."""
from collections import namedtuple
from functools import lru_cache, wraps

from flask import g, request
from sqlalchemy import bindparam

from portal.api.errors import ApiError
from portal.api.openapi import check_query
from portal.audit import Actor
from portal.auth.api_keys import digest_of, key_by_digest, live_key
from portal.models import ApiKey


def bearer_digest():
    """The digest of the request's bearer key, or None when it names none of ours."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return digest_of(token.strip()) if scheme.lower() == "bearer" else None


def admit(key, roles):
    """Let the request through on a live `key` whose role is in `roles` (admin keys may call
    everything); anything else is 401 or 403."""
    if key is None:
        raise ApiError(401, "unauthorized", "A valid API key is required: Authorization: Bearer <key>.")
    if key.role not in set(roles) | {"admin"}:
        raise ApiError(403, "forbidden", f"A {key.role} key may not call this endpoint.")
    g.api_key = key
    g.actor = Actor.for_api_key(key)


def require_api(*roles):
    """Only a live key whose role is in `roles` gets through (admin keys may call everything)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            admit(key_by_digest(bearer_digest()), roles)
            check_query()  # who asks is answered first (401, 403), then how
            return view(*args, **kwargs)

        return wrapped

    return decorator


#: The key columns a read carries along for `KeyCheck`, under names of their own.
_KEY_COLUMNS = (ApiKey.id.label("key_id"), ApiKey.role.label("key_role"), ApiKey.key_hash.label("key_hash"),
                ApiKey.revoked_at.label("key_revoked_at"))
_JoinedKey = namedtuple("_JoinedKey", "id role key_hash revoked_at")


@lru_cache(maxsize=8)
def _with_key(statement):
    """`statement` (a select) reading the key with the request's digest as well, built once."""
    return statement.add_columns(*_KEY_COLUMNS).outerjoin(ApiKey, ApiKey.key_hash == bindparam("key_digest"))


class KeyCheck:
    """The request's bearer key, checked on the rows of a read the view runs anyway instead of by a
    statement of its own: for authorization, which every call of every switch asks for, the key
    and the account come in one round trip. Same answers as `require_api`, and given before the
    view decides anything."""

    def __init__(self, *roles):
        self.roles = roles
        self.digest = bearer_digest()

    def reading(self, statement):
        """(`statement` extended to read the key, its extra parameters)."""
        return _with_key(statement), {"key_digest": self.digest or ""}

    def check(self, row):
        """Admit or refuse on a row of the extended read; None (the read found nothing, so it
        carried no key either) looks the key up by itself."""
        if row is None:
            key = key_by_digest(self.digest)
        else:
            key = live_key(_JoinedKey(row.key_id, row.key_role, row.key_hash, row.key_revoked_at), self.digest or "")
        admit(key, self.roles)
