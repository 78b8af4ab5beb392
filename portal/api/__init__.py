"""JSON API v1 for switches and integrations (DESIGN §5)."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from portal.api import accounts, cdrs, errors, invoices, openapi, switching, tariffs  # noqa: F401
