"""Every API failure answers `{"error": {"code", "message", "fields"}}` (DESIGN §5)."""
from flask import jsonify
from werkzeug.exceptions import HTTPException

from portal.api import bp
from portal.errors import DomainError


class ApiError(Exception):
    """An answer the API gives on purpose: a status, a snake_case code and what went wrong."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def error_response(status, code, message, fields=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


@bp.errorhandler(ApiError)
def handle_api_error(error):
    return error_response(error.status, error.code, error.message, error.fields)


@bp.errorhandler(HTTPException)
def http_error_response(error):
    """A werkzeug error in the API's shape, with the headers it carries: a 405 keeps its `Allow`
    (RFC 9110). The app's handler answers the same way for routing errors under /api/."""
    code = (error.name or "error").lower().replace(" ", "_")
    body, status = error_response(error.code or 500, code, error.description or error.name)
    allowed = dict(error.get_headers()).get("Allow")
    if allowed:
        body.headers["Allow"] = allowed
    return body, status


@bp.errorhandler(DomainError)
def handle_domain_error(error):
    """A business rule said no: its code, its message, and the fields it concerns."""
    return error_response(error.status, error.code, error.message, error.fields)
