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
def handle_http_error(error):
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code, code, error.description or error.name)


@bp.errorhandler(DomainError)
def handle_domain_error(error):
    """A business rule said no: its code, its message, and the fields it concerns."""
    return error_response(error.status, error.code, error.message, error.fields)
