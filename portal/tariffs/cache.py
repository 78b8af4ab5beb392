"""One rating engine per process (per app), rebuilt on first use after any tariff change.

Every change to what rating is built from bumps `TariffVersion` in the same transaction, so the
next request in every process sees a new number and rebuilds; the hot path costs one tiny query.
"""
import threading

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import TariffVersion
from portal.tariffs.loader import load_engine, load_number_lists


class EngineCache:
    """The engine and the black/white lists, built together for one tariff version."""

    def __init__(self):
        self._lock = threading.Lock()
        self._version = None
        self._built = None

    def get(self):
        version = db.session.scalar(select(TariffVersion.version).where(TariffVersion.id == 1)) or 0
        if version != self._version or self._built is None:
            with self._lock:
                if version != self._version or self._built is None:
                    self._built = (load_engine(), load_number_lists())
                    self._version = version
        return self._built


def _cache():
    return current_app.extensions.setdefault("rating_engine", EngineCache())


def rating_engine():
    """The engine for the current tariffs."""
    return _cache().get()[0]


def engine_and_lists():
    """The engine and the black/white lists [(kind, prefix, account id or None)], one version of both."""
    return _cache().get()
