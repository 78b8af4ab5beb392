"""`flask bench authorize`: POST /authorize under gunicorn (2 workers) on a scratch database,
driven for a fixed time by wrk on loopback; requests per second and latency percentiles."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click
from flask import current_app

from portal.audit import SYSTEM
from portal.auth.api_keys import create_api_key
from portal.benchmarks import bench_group, database_kinds, scratch_app
from portal.demo import load_demo
from portal.extensions import db
from portal.ledger import operations
from portal.models import Account

ROOT = Path(__file__).resolve().parents[2]

WRK_SCRIPT = """
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local uuid = ""
  if %(holds)s then uuid = string.format(',"uuid":"bench-%%d-%%d"', thread_id, counter) end
  local body = '{"account":"1001","caller":"4930123456","callee":"4915112345678"' .. uuid .. '}'
  return wrk.format("POST", "/api/v1/authorize",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}, body)
end
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise click.ClickException(f"gunicorn did not answer on {url}")


def _wrk(url, script, seconds, connections):
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
                            capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, latency, errors.group(1) if errors else "0"


@bench_group.command("authorize")
@click.option("--database", "choice", type=click.Choice(["sqlite", "postgresql", "both"]), default="sqlite")
@click.option("--seconds", default=30, show_default=True)
@click.option("--connections", default=16, show_default=True)
def bench_authorize_command(choice, seconds, connections):
    """Requests/s and p50/p90/p99 latency of POST /authorize, without and with holds."""
    if shutil.which("wrk") is None:
        raise click.ClickException("wrk is needed as the load generator: apt-get install wrk")
    for kind in database_kinds(choice):
        with scratch_app(kind), tempfile.TemporaryDirectory() as tmp:
            load_demo(calls=0)
            account = db.session.query(Account).filter_by(code="1001").one()
            operations.payment(account, 10 ** 6, SYSTEM, description="Bench money")
            _, token = create_api_key("bench", "switch")
            db.session.commit()
            port = _free_port()
            env = {**os.environ, "DATABASE_URL": current_app.config["SQLALCHEMY_DATABASE_URI"],
                   "SECRET_KEY": current_app.config["SECRET_KEY"], "VOIP2BILL_ENV": "production"}
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "8", "-b",
                 f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_until_up(f"{base}/api/v1/openapi.json")
                for holds in (False, True):
                    script = Path(tmp) / "authorize.lua"
                    script.write_text(WRK_SCRIPT % {"holds": "true" if holds else "false", "token": token})
                    _wrk(base, str(script), 3, connections)  # warm up: engine built, connections open
                    rps, latency, errors = _wrk(base, str(script), seconds, connections)
                    click.echo(f"{kind}, {'with holds (uuid)' if holds else 'no hold'}: {rps} requests/s, "
                               f"p50 {latency.get('50')}, p90 {latency.get('90')}, p99 {latency.get('99')}, "
                               f"non-2xx {errors} ({connections} connections, {seconds} s, gunicorn 2 workers)")
            finally:
                server.terminate()
                server.wait(timeout=30)
