"""Bearer-key authentication and role checks for every API endpoint."""
from functools import wraps

from flask import g, request

from portal.api.errors import ApiError
from portal.audit import Actor
from portal.auth.api_keys import find_api_key


def require_api(*roles):
    """Only a live key whose role is in `roles` gets through (admin keys may call everything)."""
    allowed = set(roles) | {"admin"}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            key = find_api_key(token.strip()) if scheme.lower() == "bearer" else None
            if key is None:
                raise ApiError(401, "unauthorized", "A valid API key is required: Authorization: Bearer <key>.")
            if key.role not in allowed:
                raise ApiError(403, "forbidden", f"A {key.role} key may not call this endpoint.")
            g.api_key = key
            g.actor = Actor.for_api_key(key)
            return view(*args, **kwargs)

        return wrapped

    return decorator
