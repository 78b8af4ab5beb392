"""flask-login wiring and the role guards every view uses."""
from functools import wraps

from flask import abort, redirect, request, session, url_for
from flask_login import current_user

from portal.auth.service import session_user
from portal.extensions import login_manager


def init_login(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    login_manager.user_loader(session_user)

    @app.before_request
    def keep_session_alive():
        # A permanent session is refreshed on each request and dies after PERMANENT_SESSION_LIFETIME
        # of inactivity: that is the idle timeout. The API has no sessions (bearer keys only).
        if not request.path.startswith("/api/"):
            session.permanent = True


def role_required(*roles):
    """Allow only signed-in users with one of `roles`; others are sent to sign in or refused."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def home_for(user):
    """Where a user lands after signing in."""
    if user.role == "customer":
        return url_for("customer.dashboard")
    return url_for("admin.index")
