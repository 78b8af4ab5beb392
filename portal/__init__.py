"""VoIP2Bill: the application factory. Each step of building the app is one named function."""
import contextlib
import os
from pathlib import Path

from flask import Flask, render_template

import config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_overrides=None):
    """Build the application; tests pass overrides, deployments use the environment."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config.Config)
    if config_overrides:
        app.config.update(config_overrides)
    check_secret_key(app)
    secure_cookies(app)
    trust_proxies(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_admin(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def check_secret_key(app):
    """Refuse a guessable key in production; elsewhere fall back to a per-instance random one."""
    key = app.config.get("SECRET_KEY") or ""
    if app.config["ENV_NAME"] == "production":
        if len(key) < 32:
            raise RuntimeError("SECRET_KEY must be set to at least 32 characters in production")
        return
    if not key:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def secure_cookies(app):
    """Cookies travel only over HTTPS (browsers treat localhost as secure), except when debugging."""
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.debug
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]


def trust_proxies(app):
    """Behind a reverse proxy the client's address is in X-Forwarded-For; believe only the configured hops."""
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _instance_secret(instance_dir):
    """A random key kept in instance/ so development sessions survive a restart.

    Written whole under another name and linked into place, which fails if the key exists: two
    processes starting at once (two workers, two test runs) end with one key and never read a
    half-written one."""
    import secrets
    import tempfile

    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        with tempfile.NamedTemporaryFile("w", dir=instance_dir, prefix=".secret_key.") as draft:
            draft.write(secrets.token_urlsafe(48))
            draft.flush()
            os.chmod(draft.name, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(draft.name, path)
    return path.read_text().strip()


def register_extensions(app):
    from portal.extensions import csrf, db, limiter, login_manager, migrate
    from portal.models.types import dumps_json
    from portal.transactions import ping_idle_connections

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"json_serializer": dumps_json,
                                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}

    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine, app.config["POOL_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    from portal.auth import throttle  # noqa: F401  (registers the limiter's database:// storage)

    limiter.init_app(app)
    login_manager.init_app(app)
    from portal import models  # noqa: F401  (registers every model with the metadata)
    from portal.auth.passwords import init_passwords
    from portal.auth.session import init_login

    init_passwords(app)
    init_login(app)


def register_input_guards(app):
    """Before any route, once for every view (portal.urls): `<int:…>` matches only numbers an id
    column holds, `<other_than(word):…>` any segment but those words, and a NUL in an address or a
    form is a 400."""
    from portal.urls import IdConverter, OtherThan, refuse_nul

    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["other_than"] = OtherThan
    app.before_request(refuse_nul)


def register_blueprints(app):
    from portal.api import bp as api_bp
    from portal.auth import bp as auth_bp
    from portal.customer import bp as customer_bp
    from portal.extensions import csrf

    app.register_blueprint(auth_bp)
    app.register_blueprint(customer_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    # The API authenticates each request with a bearer key, never a cookie: CSRF cannot apply.
    csrf.exempt(api_bp)


def register_admin(app):
    from portal.admin import init_admin

    init_admin(app)


def register_errorhandlers(app):
    """HTML pages for people, the JSON error shape for anything under /api/."""
    from flask import request
    from flask_wtf.csrf import CSRFError

    from portal.api.errors import error_response, http_error_response

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if request.path.startswith("/api/"):
            return http_error_response(error)
        message = None
        if code == 429:
            message = ("Too many attempts. Please wait a few minutes before trying again "
                       f"(limit: {error.description}).")
            if request.endpoint == "auth.login":
                from portal.auth.forms import LoginForm

                return render_template("auth/login.html", form=LoginForm(), throttled=message), 429
        return render_template("errors/error.html", error=error, code=code, message=message), code

    def render_csrf_error(error):
        if request.path.startswith("/api/"):
            return error_response(400, "csrf_failed", error.description)
        return render_template("errors/error.html", error=error, code=400,
                               message="The form expired or was not sent from this site. "
                                       "Please go back, reload and try again."), 400

    for code in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(code, render_error)
    app.register_error_handler(CSRFError, render_csrf_error)


def register_security_headers(app):
    from portal.security_headers import init_security_headers

    init_security_headers(app)


def register_template_helpers(app):
    from portal.formatting import init_formatting

    init_formatting(app)


def register_commands(app):
    from portal.cli import init_commands

    init_commands(app)
