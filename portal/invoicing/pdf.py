"""HTML to PDF with WeasyPrint, fetching nothing from disk or network.

Documents carry their stylesheet and logo inline (the logo as a data: URI), so the only URLs the
fetcher accepts are data: URIs. Anything else, a file:// or http(s):// reference or a relative URL
(resolved against about:blank, so it reaches the fetcher too), stops the rendering with
UnsafeResource: a document that asks for one is a bug or an injection, never something to print.
"""
import base64
import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from portal.invoicing.errors import UnsafeResource

#: Relative URLs resolve to about:… and are refused, never read from the working directory.
BASE_URL = "about:blank"


class DataOnlyFetcher(URLFetcher):
    """Serves data: URIs and refuses every other URL (fatal: the rendering stops)."""

    def __init__(self):
        super().__init__(allowed_protocols=("data",), fail_on_errors=True)
        self.refused = []

    def fetch(self, url, headers=None):
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}: documents embed their resources")
        return super().fetch(url, headers)


def html_to_pdf(html):
    """The PDF of `html`, or UnsafeResource if it referenced anything but data: URIs."""
    fetcher = DataOnlyFetcher()
    try:
        pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError:
        pdf = None
    # Some refusals (an image inside an SVG) WeasyPrint swallows: the fetcher's record decides.
    if fetcher.refused:
        raise UnsafeResource(f"The document refers to {', '.join(fetcher.refused)}; only embedded resources "
                             "are allowed.", urls=fetcher.refused)
    return pdf


def document_html(template, **context):
    """A Jinja template rendered with the seller's details and logo."""
    return render_template(template, seller=seller(), **context)


def render_pdf(template, **context):
    """Render a Jinja template (with the seller's details and logo) to PDF bytes."""
    return html_to_pdf(document_html(template, **context))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def seller():
    """Who issues the documents, from the configuration."""
    config = current_app.config
    return {"name": config["COMPANY_NAME"], "address": config["COMPANY_ADDRESS"].splitlines(),
            "vat_id": config["COMPANY_VAT_ID"], "email": config["COMPANY_EMAIL"], "bank": config["COMPANY_BANK"],
            "logo": logo_data_uri(config["COMPANY_LOGO"])}


@lru_cache(maxsize=4)
def logo_data_uri(path):
    """The logo file inlined as a data: URI (empty when no logo is configured)."""
    if not path:
        return ""
    path = Path(path)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
