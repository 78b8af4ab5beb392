"""`flask cdrs import FILE`: large CDR files through the same pipeline as the API, in committed
batches, so an interrupted import can simply be run again (what was stored is skipped)."""
import ctypes
import io
import itertools
import multiprocessing
import os
import signal
import sys
from functools import partial

import click
from flask import current_app
from flask.cli import AppGroup

from portal.cdrs.ingest import Context, IngestResult, prepare, store
from portal.cdrs.parsers import FORMATS, ParserError, asterisk_columns, iter_csv
from portal.extensions import db
from portal.transactions import commit_retrying

cdrs_group = AppGroup("cdrs", help="Call detail records.")

#: prctl(2)'s option naming the signal a process gets when its parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


class _Counting(io.RawIOBase):
    """A binary file that remembers how far it has been read, for the progress bar."""

    def __init__(self, raw):
        self.raw = raw
        self.done = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = self.raw.readinto(buffer)
        self.done += count or 0
        return count


def _batches(path, fmt, timezone, columns, batch_size, longest):
    """(records, bytes read so far) for each batch of the file; calls over `longest` s are rejected."""
    with open(path, "rb") as raw:
        counting = _Counting(raw)
        text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding="utf-8", errors="replace",
                                newline="")
        records = iter_csv(text, fmt, timezone, columns, longest)
        while batch := list(itertools.islice(records, batch_size)):
            yield batch, counting.done


def _end_with_parent(parent_pid):
    """Have the kernel SIGKILL this forked process as soon as the one that forked it ends, however
    it ends: an import killed with SIGKILL (no `finally`, no atexit) left its reader blocked for good
    on the full queue. (Strictly, as soon as the forking thread ends: the one that reads the batches
    until the import is over.) Linux's prctl(PR_SET_PDEATHSIG), not a poll of the parent by the reader,
    as the reader may be waiting anywhere (on the queue, in its feeder thread, in rating a batch).
    The parent may have died before the request took hold, which only a look at who the parent
    is now can tell."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:
        os._exit(1)


def _produce(path, fmt, timezone, columns, batch_size, longest, context, dialect, queue, parent_pid):
    """The reading half of a parallel import: parse, rate and convert; the parent stores."""
    try:
        _end_with_parent(parent_pid)
        for batch, done in _batches(path, fmt, timezone, columns, batch_size, longest):
            queue.put((prepare(batch, context, dialect), done))
        queue.put(None)
    except ParserError as error:
        queue.put(error)
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which re-raises it
        queue.put(RuntimeError(f"reading {path} failed: {error!r}"))


def _prepared_in_child(path, fmt, timezone, columns, batch_size, longest, context, dialect):
    """Prepared batches from a forked process, so parsing and rating (one core) overlap storing
    (the other): the import runs at the speed of the slower half, not of both added up."""
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue(maxsize=4)
    producer = fork.Process(target=_produce, args=(path, fmt, timezone, columns, batch_size, longest, context,
                                                   dialect, queue, os.getpid()), daemon=True)
    producer.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        producer.kill()
        producer.join()


def import_file(path, fmt, timezone="UTC", batch_size=5000, progress=None, parallel=True, columns=None):
    """Ingest `path` batch by batch, committing each; returns the totals. Rejected records keep
    their row index in the file. Tariffs and accounts are read once, at the start. `columns` is
    an Asterisk layout (`parsers.asterisk_columns`), None to read it from each row."""
    context = Context()
    dialect = db.session.get_bind().dialect
    longest = current_app.config["MAX_CDR_SECONDS"]
    db.session.commit()
    if parallel and sys.platform == "linux":  # where a forked reader can be made to end with its parent
        batches = _prepared_in_child(path, fmt, timezone, columns, batch_size, longest, context, dialect)
    else:
        batches = ((prepare(batch, context, dialect), done)
                   for batch, done in _batches(path, fmt, timezone, columns, batch_size, longest))
    totals = IngestResult()
    for prepared, done in batches:
        result = commit_retrying(partial(store, prepared), "cdrs import")
        db.session.expunge_all()  # a file of millions of rows must not pile up in the session
        totals.add(result)
        if progress is not None:
            progress(done, result)
    return totals


@cdrs_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="native", show_default=True)
@click.option("--timezone", default="UTC", show_default=True, help="Zone of naive times in switch CSVs.")
@click.option("--batch-size", default=5000, show_default=True)
@click.option("--asterisk-columns", "layout", help="What Master.csv logs after amaflags: uniqueid, userfield or "
              "uniqueid,userfield (default: read from each row).")
@click.option("--show-rejected", default=20, show_default=True, help="How many rejected rows to list.")
def import_command(path, fmt, timezone, batch_size, layout, show_rejected):
    """Import a CDR file (native CSV, Asterisk Master.csv or FreeSWITCH cdr_csv)."""
    try:
        columns = None if layout is None else asterisk_columns(layout)
    except ParserError as error:
        raise click.BadParameter(str(error), param_hint="--asterisk-columns") from None
    size = os.path.getsize(path)
    with click.progressbar(length=size, label=f"Importing {os.path.basename(path)}", show_eta=True,
                           show_percent=True) as bar:
        state = {"seen": 0}

        def progress(done, _result):
            bar.update(done - state["seen"])
            state["seen"] = done

        try:
            totals = import_file(path, fmt, timezone, batch_size, progress, columns=columns)
        except ParserError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"accepted {totals.accepted}, of which rated {totals.rated}; duplicates {totals.duplicates}; "
               f"rejected {len(totals.rejected)}")
    for rejected in totals.rejected[:show_rejected]:
        click.echo(f"  row {rejected['index']}: {rejected['error']}")
    if len(totals.rejected) > show_rejected:
        click.echo(f"  … and {len(totals.rejected) - show_rejected} more")

