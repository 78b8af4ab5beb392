"""How gunicorn serves the portal: `gunicorn -c python:portal.serving -w CORES wsgi:app` (settings
and server hooks, read by gunicorn; any of them can still be given on the command line)."""
import logging

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

#: Threads overlap one request's database waits with another's Python; more than two per worker
#: only queue on its GIL (eight answered no more authorizations than two, with a longer tail).
worker_class = "gthread"
threads = 2

#: Each worker listens on a socket of its own (SO_REUSEPORT), and the kernel spreads new connections
#: over them. On one shared socket the worker awake first took a switch's burst of keep-alive
#: connections almost whole (15 of 16, measured): it queued every request while the other idled.
reuse_port = True


def post_worker_init(worker):
    """Build the rating engine before the worker takes its first request: no call waits for the
    tariffs to load (seconds for a large deck), and the engine joins the heap frozen with the app
    (`wsgi.py`). A database not reachable yet only defers it to the first request."""
    # Imported here: gunicorn's master reads this module before any worker has loaded the app.
    from portal.extensions import db
    from portal.tariffs.cache import rating_engine

    with worker.wsgi.app_context():
        try:
            rating_engine()
        except SQLAlchemyError as error:
            log.warning("rating engine not built at start (%s); the first request builds it", error)
        finally:
            db.session.remove()
