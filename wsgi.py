"""Entry point for WSGI servers (gunicorn wsgi:app) and for `flask --app wsgi`."""
from portal import create_app

app = create_app()
