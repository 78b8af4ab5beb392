"""Sign-in, sign-out and password change for every role."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import views  # noqa: F401
