"""Tables from the web: a URL returning CSV / JSON (an API), or an HTML page whose tables are listed.

Only http(s) URLs are fetched, with a time-out and the upload size limit; every failure is a
``SourceError`` whose message says what went wrong.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from pathlib import PurePosixPath
from typing import NamedTuple
from urllib.parse import urlparse

import pandas as pd

from engine.data.io import SUPPORTED_EXTENSIONS, LoadedTable, format_bytes, max_upload_bytes, read_table
from engine.errors import DataError, FileTooLargeError

__all__ = ["Fetched", "SourceError", "fetch", "html_tables", "read_page", "read_url"]

_USER_AGENT = "Workbench/1"


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


def fetch(url: str, *, timeout: float = 10.0, max_bytes: int | None = None) -> Fetched:
    """GET ``url`` (http or https only) within ``timeout`` seconds and the size limit."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SourceError(f"'{url}' is not an http(s) URL; paste an address starting with http:// or https://.")
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    request = urllib.request.Request(url.strip(), headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            content = response.read(limit + 1)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise SourceError(f"{url} answered {exc.code} {exc.reason}; check the address.") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"{url} could not be reached ({reason}); check the address and the network.") from None
    if len(content) > limit:
        raise FileTooLargeError(f"{url} returned more than the {format_bytes(limit)} limit.")
    if not content.strip():
        raise SourceError(f"{url} returned an empty answer.")
    return Fetched(url, content, content_type.lower())


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
        tables = html_tables(page)
        if not tables:
            raise SourceError(f"{page.url} is an HTML page with no <table>; use an address that returns a table.")
        if not 0 <= table < len(tables):
            raise SourceError(f"{page.url} has {len(tables)} tables; pick one from 1 to {len(tables)}.")
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
