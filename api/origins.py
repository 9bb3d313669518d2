"""This server's public origin: the address people open it at, as browsers name it.

``COMMONGROUND_PUBLIC_URL`` when set; else the request's scheme and ``Host`` (uvicorn has
already applied a trusted proxy's ``X-Forwarded-Proto``), and a proxy's ``X-Forwarded-Host``.
A browser never lets one site's page set those headers on a request to another, so taking
them into account cannot let a cross-site request pass as this site's own.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalise_origin(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case, without a default port; None if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and str(port) != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def _configured(connection: HTTPConnection) -> str | None:
    public_url: str | None = getattr(connection.app.state.settings, "public_url", None)
    return normalise_origin(public_url) if public_url else None


def public_origins(connection: HTTPConnection) -> set[str]:
    """The origins whose pages are this site's own."""
    configured = _configured(connection)
    if configured:
        return {configured}
    headers = connection.headers
    schemes = {connection.url.scheme}
    forwarded_proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if forwarded_proto in _DEFAULT_PORTS:
        schemes.add(forwarded_proto)
    hosts = {headers.get("host", "")}
    forwarded_host = headers.get("x-forwarded-host", "").split(",")[0].strip()
    if forwarded_host:
        hosts.add(forwarded_host)
    found = {normalise_origin(f"{s}://{h}") for s in schemes for h in hosts if h}
    return {origin for origin in found if origin}


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_secure_context(connection: HTTPConnection) -> bool:
    """Served over HTTPS, or on a loopback address (which browsers treat as secure)."""
    origin = _configured(connection) or normalise_origin(
        f"{connection.url.scheme}://{connection.headers.get('host', '')}"
    )
    if origin is None:
        return False
    parts = urlsplit(origin)
    return parts.scheme == "https" or _is_loopback(parts.hostname or "")
