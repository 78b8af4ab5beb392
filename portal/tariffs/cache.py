"""One rating engine per process (per app), rebuilt on first use after any tariff change.

Every change to what rating is built from bumps `TariffVersion` in the same transaction, so the
next request in every process sees a new number and rebuilds; the hot path costs one tiny query.
"""
import threading

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import TariffVersion
from portal.tariffs.loader import load_engine


class EngineCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._version = None
        self._engine = None

    def get(self):
        version = db.session.scalar(select(TariffVersion.version).where(TariffVersion.id == 1)) or 0
        if version != self._version or self._engine is None:
            with self._lock:
                if version != self._version or self._engine is None:
                    self._engine = load_engine()
                    self._version = version
        return self._engine


def rating_engine():
    """The engine for the current tariffs."""
    cache = current_app.extensions.setdefault("rating_engine", EngineCache())
    return cache.get()
