"""`flask bench authorize`: POST /authorize under gunicorn (2 workers, served as `portal.serving`
says) on a scratch database, driven for a fixed time by wrk on loopback; requests per second,
latency percentiles, and how many calls were refused (a refusal is a 200 too, and a figure made of
refusals measures nothing)."""
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from string import Template

import click
from flask import current_app
from sqlalchemy import select, text

from portal.accounts import create_account
from portal.audit import SYSTEM
from portal.auth.api_keys import create_api_key
from portal.benchmarks import bench_group, database_kinds, scratch_app
from portal.demo import load_demo
from portal.extensions import db
from portal.ledger import operations
from portal.models import Account

ROOT = Path(__file__).resolve().parents[2]

#: Money each account of the benchmark gets: enough for every hold a run can place (a hold is the
#: price of a 3-hour call, €12.60 at the demo's German mobile rate), so no call is refused for want of it.
BENCH_MONEY = Decimal(10 ** 6)

#: Each wrk thread numbers its calls apart (`thread_id`, set per thread in setup) and `$run` is new
#: for every wrk run, so no call reuses a uuid an earlier run held (that would be a 409). With
#: `$spread` the calls go round the bench accounts B0000…, as a switch serving many customers
#: sends them; else all to `$account`, the worst case: every hold serialized on one account's lock.
#: Refused calls are counted by reason in each thread and printed by `done` as "refused REASON N".
WRK_SCRIPT = Template("""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
function init(args)
  refused = {}
end
request = function()
  counter = counter + 1
  local uuid = ""
  if $holds then uuid = string.format(',"uuid":"bench-$run-%d-%d"', thread_id, counter) end
  local account = "$account"
  if $spread then account = string.format("B%04d", counter % $accounts) end
  local body = '{"account":"' .. account .. '","caller":"4930123456","callee":"4915112345678"' .. uuid .. '}'
  return wrk.format("POST", "/api/v1/authorize",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}, body)
end
response = function(status, headers, body)
  if status == 200 and body:find('"allowed":%s*false') then
    local reason = body:match('"reason":%s*"([%w_]+)"') or "unknown"
    refused[reason] = (refused[reason] or 0) + 1
  end
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for reason, n in pairs(thread:get("refused")) do total[reason] = (total[reason] or 0) + n end
  end
  for reason, n in pairs(total) do io.write(string.format("refused %s %d\\n", reason, n)) end
end
""")


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


def _wrk(url, script_path, values, seconds, connections):
    """One wrk run of the script with `values` and a nonce of its own; its figures from wrk's report."""
    script_path.write_text(WRK_SCRIPT.substitute(values, run=secrets.token_hex(4)))
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script_path),
                             url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": re.search(r"Requests/sec:\s+([\d.]+)", output).group(1),
            "requests": int(re.search(r"(\d+) requests in", output).group(1)),
            "latency": dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.MULTILINE)),
            "refused": {reason: int(n) for reason, n in re.findall(r"^refused (\w+) (\d+)$", output, re.MULTILINE)},
            "non_2xx": int(errors.group(1)) if errors else 0}


def _analyze():
    """Give the planner the statistics a live database has (autovacuum keeps them), here on tables
    the warm-up has just filled: a statement the server plans on a nearly empty `holds` table scans
    it whole, and keeps that plan for the connection's life, while the table grows by the thousands
    of rows a run adds (24.8 million rows read in one 10 s run before this). It also makes the
    servers plan again."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _bench_accounts(first, count):
    """`count` prepaid customers like `first` (its currency and VoIP plan), made as the API makes them."""
    for n in range(count):
        account = create_account({"code": f"B{n:04d}", "name": f"Bench {n}", "email": f"b{n}@bench.example",
                                  "currency": first.currency, "billing": "prepaid",
                                  "voip_plan_id": first.voip_plan_id, "timezone": first.timezone}, SYSTEM)
        operations.payment(account, BENCH_MONEY, SYSTEM, description="Bench money")


def _runs(first, accounts, token):
    """(label, script values) of the three measured runs, in order."""
    common = {"token": token, "account": first.code, "accounts": accounts}
    return [
        (f"run 1/3, no hold, all on account {first.code}", {**common, "holds": "false", "spread": "false"}),
        (f"run 2/3, holds, spread over {accounts} account(s)", {**common, "holds": "true", "spread": "true"}),
        (f"run 3/3, holds, all on account {first.code}", {**common, "holds": "true", "spread": "false"}),
    ]


@bench_group.command("authorize")
@click.option("--database", "choice", type=click.Choice(["sqlite", "postgresql", "both"]), default="sqlite")
@click.option("--seconds", type=click.IntRange(min=1), default=30, show_default=True,
              help="Length of each measured run.")
@click.option("--warm-up", type=click.IntRange(min=1), default=3, show_default=True,
              help="Seconds of load before each measured run (engine built, connections open); not measured.")
@click.option("--connections", type=click.IntRange(min=2), default=16, show_default=True,
              help="Concurrent connections wrk keeps open (two wrk threads, so at least 2).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True,
              help="gunicorn threads per worker (gthread). More threads only queue on each worker's GIL: "
                   "8 answered no more requests than 2, with a p99 half as long again.")
@click.option("--accounts", type=click.IntRange(min=1), default=200, show_default=True,
              help="Customers the calls of run 2 are spread over.")
def bench_authorize_command(choice, seconds, warm_up, connections, threads, accounts):
    """Requests/s and p50/p90/p99 latency of POST /authorize: without holds, with holds spread over
    many accounts, and with holds all on one account."""
    if shutil.which("wrk") is None:
        raise click.ClickException("wrk is needed as the load generator: apt-get install wrk")
    for kind in database_kinds(choice):
        with scratch_app(kind), tempfile.TemporaryDirectory() as tmp:
            load_demo(calls=0)
            first = db.session.scalar(select(Account).where(Account.code == "1001"))
            operations.payment(first, BENCH_MONEY, SYSTEM, description="Bench money")
            _bench_accounts(first, accounts)
            _, token = create_api_key("bench", "switch")
            db.session.commit()
            port = _free_port()
            env = {**os.environ, "DATABASE_URL": current_app.config["SQLALCHEMY_DATABASE_URI"],
                   "SECRET_KEY": current_app.config["SECRET_KEY"], "VOIP2BILL_ENV": "production"}
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "python:portal.serving", "-w", "2", "--threads", str(threads),
                 "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_until_up(f"{base}/api/v1/openapi.json")
                script = Path(tmp) / "authorize.lua"
                for label, values in _runs(first, accounts, token):
                    _wrk(base, script, values, warm_up, connections)
                    _analyze()
                    figures = _wrk(base, script, values, seconds, connections)
                    refused = sum(figures["refused"].values())
                    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(figures["refused"].items()))
                    latency = figures["latency"]
                    click.echo(f"{kind}, {label}: {figures['rps']} requests/s, p50 {latency.get('50')}, "
                               f"p90 {latency.get('90')}, p99 {latency.get('99')}; {figures['requests']} requests, "
                               f"refused {refused}{f' ({reasons})' if reasons else ''}, non-2xx {figures['non_2xx']} "
                               f"({connections} connections, {seconds} s, gunicorn 2 workers × {threads} threads)")
            finally:
                server.terminate()
                server.wait(timeout=30)
