"""The customer self-care portal: balance, calls, invoices, top-up, rates, settings."""
from flask import Blueprint

bp = Blueprint("customer", __name__)

from portal.customer import invoices, views  # noqa: F401
