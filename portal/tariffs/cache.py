"""One rating engine per process (per app), rebuilt on first use after any tariff change.

Every change to what rating is built from bumps `TariffVersion` in the same transaction, so the
next request in every process sees a new number and rebuilds; the hot path reads it with the account
(authorization), or in one tiny query.

Each version is loaded once, whatever comes of it. When some of its rows are refused (see
`portal.tariffs.loader`), a process that has a complete engine keeps rating with it, so every
customer keeps the prices they had rather than some of them losing theirs; one that has none yet
rates with what could be loaded. Either way the refused rows are logged once and shown on the
admin's tariff pages (`failure`) until a later version loads whole. The black/white lists are
always the newest: a number blocked for fraud must not wait for a tariff fix.
"""
import gc
import logging
import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import TariffVersion
from portal.rating.engine import freeze_heap
from portal.tariffs.loader import load_engine, load_number_lists

log = logging.getLogger(__name__)

#: Built once and run on the connection, not through the ORM: every API request asks it.
_VERSION = select(TariffVersion.version).where(TariffVersion.id == 1)


@dataclass(frozen=True)
class Failure:
    """A tariff version that did not load whole, and the version whose engine is rating instead."""

    version: int
    rating_with: int
    problems: tuple[str, ...]


class EngineCache:
    """The engine and the black/white lists for the newest tariff version this process has loaded."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded = None  # the version last loaded, whole or not
        self._rating_with = None  # the version the engine being served was built from
        self._complete = False
        self._built = None
        self.failure = None

    def get(self, version=None):
        """`version`, when the caller has read it already, saves asking for it."""
        if version is None:
            version = db.session.connection().execute(_VERSION).scalar()
        version = version or 0
        if version != self._loaded:
            with self._lock:
                if version != self._loaded:
                    self._load(version)
        return self._built

    def _load(self, version):
        loaded, lists = load_engine(), load_number_lists()
        if not loaded.problems or not self._complete:
            engine, self._rating_with, self._complete = loaded.engine, version, not loaded.problems
        else:
            engine = self._built[0]
        self._built = (engine, lists)
        self.failure = Failure(version, self._rating_with, loaded.problems) if loaded.problems else None
        if loaded.problems:
            log.error("tariff version %s did not load whole; rating with version %s. Refused:\n  %s",
                      version, self._rating_with, "\n  ".join(loaded.problems))
        self._loaded = version
        settle(engine)


def settle(engine):
    """Freeze the heap once a large engine is in service (see `freeze_heap`), and in a process
    whose heap is frozen already (a served app freezes it once built: `wsgi.py`), freeze it again:
    either way the collector's full pass first frees the engine this one replaced. A small engine
    in a process that froze nothing costs the collector little and is left alone."""
    if engine.rows >= current_app.config["ENGINE_FREEZE_ROWS"] or gc.get_freeze_count():
        freeze_heap()


def _cache():
    return current_app.extensions.setdefault("rating_engine", EngineCache())


def rating_engine():
    """The engine for the current tariffs."""
    return _cache().get()[0]


def engine_and_lists(version=None):
    """The engine and the black/white lists [(kind, prefix, account id or None)], read together,
    for the tariff `version` read in the caller's own query (authorization reads it with the
    account), else for the newest."""
    return _cache().get(version)


def load_failure():
    """What this process could not load of the newest tariffs it saw, or None; loads nothing itself."""
    return _cache().failure
