"""How gunicorn serves the portal (`portal.serving`): each worker listens on a socket of its own,
and builds the rating engine before it takes a request."""
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal import serving
from portal.benchmarks.authorize import _free_port
from portal.tariffs import cache
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[1]
LISTENING = "0A"


@pytest.fixture
def loads(monkeypatch):
    """How many times the rating engine is built from the tariffs."""
    built = []
    real = cache.load_engine
    monkeypatch.setattr(cache, "load_engine", lambda: built.append(1) or real())
    return built


def test_a_worker_builds_the_rating_engine_before_its_first_request(app, loads):
    serving.post_worker_init(SimpleNamespace(wsgi=app))
    assert len(loads) == 1
    with app.app_context():
        cache.rating_engine()
    assert len(loads) == 1  # the first request rates with the engine built at start


def test_a_database_not_reachable_at_start_only_defers_the_engine(tmp_path, loads, caplog):
    app = make_app(f"sqlite:///{tmp_path / 'no such folder' / 'db.sqlite'}")
    with caplog.at_level(logging.WARNING, logger=serving.__name__):
        serving.post_worker_init(SimpleNamespace(wsgi=app))
    assert loads == [] and "the first request builds it" in caplog.text


def listening_sockets(port):
    """How many sockets listen on this loopback port (each of /proc/net/tcp's lines is one socket)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines
               if line.split()[1] == f"0100007F:{port:04X}" and line.split()[3] == LISTENING)


def test_each_worker_listens_on_a_socket_of_its_own(app, database_url):
    """With one socket shared, the worker awake first took nearly every keep-alive connection of a
    burst; with SO_REUSEPORT the kernel spreads them over one socket per worker."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40, "VOIP2BILL_ENV": "production"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:portal.serving", "-w", "2",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while listening_sockets(port) < 2 and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
        assert listening_sockets(port) == 2
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
