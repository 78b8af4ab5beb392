"""Helpers for URLs that come from outside."""
from urllib.parse import urlsplit


def safe_next(target):
    """`target` if it is a path on this site, else None: never redirect to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
