"""Headers on every response that tell the browser what a page may do, so an injected script or
handler does not run, no other site frames a page to trick a click, a download is never sniffed
into HTML, other sites learn our origin but not our addresses, and once over HTTPS, HTTPS stays."""
import secrets

from flask import g, request

#: Scripts, styles, fonts and images from our own files only (Bootstrap's CSS icons are data: URIs);
#: no plugins, no <base>, forms post only to us, never framed. An inline script runs only with the
#: request's nonce (Flask-Admin's few); ours live in static/js.
POLICY = ("default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; font-src 'self'; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def csp_nonce():
    """This request's nonce, made when a page first asks for one (Flask-Admin marks its inline
    scripts with it); a response that used none, such as the API's, allows no inline script."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_security_headers(app):
    """HSTS only on a request that came over HTTPS: `request.is_secure` believes X-Forwarded-Proto
    only from the proxies `TRUSTED_PROXY_HOPS` trusts (ProxyFix), so plain HTTP never pins it."""
    hsts = app.config["STRICT_TRANSPORT_SECURITY"]

    @app.after_request
    def add_security_headers(response):
        nonce = g.get("csp_nonce")
        scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        response.headers["Content-Security-Policy"] = POLICY.format(scripts=scripts)
        response.headers.update(HEADERS)
        if hsts and request.is_secure:
            response.headers["Strict-Transport-Security"] = hsts
        return response
