"""Tables from the web: a URL returning CSV / JSON (an API), or an HTML page whose tables are listed.

Only http(s) URLs are fetched, within a total time limit and the upload size limit; every failure is a
``SourceError`` whose message says what went wrong (the URL shown with its secrets hidden, see ``redact_url``).

Addresses on this machine or its networks are not fetched: each host name is resolved, every address checked
(loopback, private, link-local such as the cloud metadata service 169.254.169.254, multicast, unspecified,
reserved), and the connection made to the checked address, so the name cannot be re-resolved elsewhere in between.
Redirects are followed by hand, each hop checked the same way. ``WORKBENCH_ALLOW_PRIVATE_URLS=1`` lifts the rule
for a workbench that should read from its own network.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import os
import socket
import ssl
import threading
import time
from pathlib import PurePosixPath
from typing import NamedTuple
from urllib.parse import urljoin, urlparse

import pandas as pd

from engine.data.io import SUPPORTED_EXTENSIONS, LoadedTable, format_bytes, max_upload_bytes, read_table
from engine.data.redaction import redact_url
from engine.errors import DataError, FileTooLargeError

__all__ = ["Fetched", "SourceError", "allow_private_urls", "blocked_address_kind", "fetch", "html_tables", "read_page",
           "read_url"]

_USER_AGENT = "Workbench/1"
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class SourceError(DataError):
    """A URL could not be fetched or holds no table."""


class Fetched(NamedTuple):
    url: str
    content: bytes
    content_type: str

    @property
    def is_html(self) -> bool:
        head = self.content[:512].lstrip().lower()
        return "html" in self.content_type or head.startswith((b"<!doctype html", b"<html"))


def allow_private_urls() -> bool:
    """Whether addresses on this machine and private networks may be fetched: ``WORKBENCH_ALLOW_PRIVATE_URLS=1``."""
    return os.environ.get("WORKBENCH_ALLOW_PRIVATE_URLS", "").strip().lower() in ("1", "true", "yes")


def blocked_address_kind(address: str) -> str | None:
    """What makes ``address`` (an IP) off limits ("loopback", "private", ...), or None for a public address.

    >>> blocked_address_kind("::ffff:127.0.0.1"), blocked_address_kind("93.184.215.14")
    ('loopback', None)
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return None
    kinds = [("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
             ("unspecified", ip.is_unspecified), ("private", ip.is_private)]
    return next((kind for kind, flag in kinds if flag), "reserved")


def fetch(url: str, *, timeout: float = 10.0, max_bytes: int | None = None) -> Fetched:
    """GET ``url`` (http or https only) within ``timeout`` seconds in all and the size limit, following redirects."""
    shown = redact_url(url.strip())
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    deadline = time.monotonic() + timeout
    current = url.strip()
    for _ in range(MAX_REDIRECTS + 1):
        status, location, content, content_type = _get(current, redact_url(current), deadline, timeout, limit)
        if status not in _REDIRECTS:
            break
        if not location:
            raise SourceError(f"{shown} answered {status} without a Location to go to; check the address.")
        current = urljoin(current, location)
    else:
        raise SourceError(f"{shown} redirected more than {MAX_REDIRECTS} times; use the final address.")
    if status >= 400:
        raise SourceError(f"{shown} answered {status} {http.client.responses.get(status, '')}; check the address.")
    if not content.strip():
        raise SourceError(f"{shown} returned an empty answer.")
    return Fetched(current, content, content_type.lower())


def _get(url: str, shown: str, deadline: float, timeout: float, limit: int) -> tuple[int, str, bytes, str]:
    """One GET: (status, Location, body, Content-Type); the body is read only for a final answer."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SourceError(f"'{shown}' is not an http(s) URL; paste an address starting with http:// or https://.")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        raise SourceError(f"'{shown}' has an invalid port; check the address.") from None
    address = _resolve(parsed.hostname, port, shown)
    connection = _connection(parsed.scheme, parsed.hostname, port, address, _remaining(deadline, shown, timeout))
    # A watchdog closes the socket at the deadline: a server dripping bytes cannot stretch the time limit.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(connection,))
    watchdog.start()
    try:
        connection.request("GET", (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else ""),
                           headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"})
        response = connection.getresponse()
        if response.status in _REDIRECTS or response.status >= 400:
            response.read1(64 * 1024)  # the short page that comes with it, so the server is not cut off mid-write
            return response.status, response.getheader("Location", ""), b"", ""
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FileTooLargeError(f"{shown} returned more than the {format_bytes(limit)} limit.")
        chunks, size = [], 0
        while chunk := response.read1(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileTooLargeError(f"{shown} returned more than the {format_bytes(limit)} limit.")
            _remaining(deadline, shown, timeout)
        _remaining(deadline, shown, timeout)
        return response.status, "", b"".join(chunks), response.getheader("Content-Type", "")
    except (OSError, http.client.HTTPException) as error:
        _remaining(deadline, shown, timeout)  # a socket closed by the watchdog is a time-out
        reason = getattr(error, "reason", None) or error
        raise SourceError(f"{shown} could not be reached ({reason}); check the address and the network.") from None
    finally:
        watchdog.cancel()
        connection.close()


def _resolve(host: str, port: int, shown: str) -> str:
    """The address to connect to for ``host``, after checking every address the name resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise SourceError(f"{shown} could not be reached ({error}); check the address and the network.") from None
    addresses = [str(info[4][0]) for info in infos]
    for address in [] if allow_private_urls() else addresses:
        if kind := blocked_address_kind(address):
            raise SourceError(f"{shown} leads to {address}, a {kind} address, which the workbench does not fetch "
                              f"from; use a public address, or set WORKBENCH_ALLOW_PRIVATE_URLS=1 where the "
                              f"workbench should read from its own network.")
    return addresses[0]


def _connection(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``host`` that connects to the checked ``address`` (TLS still checks the host's name)."""
    if scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection._create_connection = (  # type: ignore[attr-defined] # the stdlib's hook for opening the socket
        lambda _address, *args: socket.create_connection((address, port), *args))
    return connection


def _remaining(deadline: float, shown: str, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise SourceError(f"{shown} could not be reached (no complete answer within {timeout:g} s); check the "
                          f"address and the network, or try again later.")
    return left


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def html_tables(page: Fetched) -> list[pd.DataFrame]:
    """Every <table> of an HTML page, in page order."""
    try:
        return pd.read_html(io.BytesIO(page.content), flavor="lxml")
    except ValueError:
        return []


def read_url(url: str, *, table: int = 0, timeout: float = 10.0) -> LoadedTable:
    """The table at ``url``: CSV or JSON as a file would be read, or the ``table``-th table of an HTML page."""
    return read_page(fetch(url, timeout=timeout), table=table)


def read_page(page: Fetched, *, table: int = 0) -> LoadedTable:
    """The table in a fetched answer (see ``read_url``)."""
    if page.is_html:
        tables, shown = html_tables(page), redact_url(page.url)
        if not tables:
            raise SourceError(f"{shown} is an HTML page with no <table>; use an address that returns a table.")
        if not 0 <= table < len(tables):
            raise SourceError(f"{shown} has {len(tables)} tables; pick one from 1 to {len(tables)}.")
        frame = tables[table]
        frame.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
        return read_table(frame.to_csv(index=False).encode(), name="table.csv")
    return read_table(page.content, name=_file_name(page.url, page.content_type))


def _file_name(url: str, content_type: str) -> str:
    """A name whose extension tells the reader the format: the URL's if it is a table format,
    else the content type's (JSON, JSON Lines, or CSV by default)."""
    name = PurePosixPath(urlparse(url).path).name or "download"
    if PurePosixPath(name).suffix.lower().lstrip(".") in SUPPORTED_EXTENSIONS:
        return name
    if "ndjson" in content_type or "jsonl" in content_type:
        return f"{name}.jsonl"
    if "json" in content_type:
        return f"{name}.json"
    return f"{name}.csv"
