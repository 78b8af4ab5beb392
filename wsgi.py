"""Entry point for WSGI servers (gunicorn wsgi:app) and for `flask --app wsgi`."""
from portal import create_app
from portal.rating.engine import freeze_heap

app = create_app()
# The modules and the app live as long as the process: taken out of the collector's full passes,
# they no longer make every such pass a stall of every request in flight (230,000 objects, 0.12 s
# here). Tariff changes keep the heap frozen (`portal.tariffs.cache.settle`).
freeze_heap()
