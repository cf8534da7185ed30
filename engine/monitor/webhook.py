"""Alert delivery to a webhook: one JSON POST per alert, to a URL the project owner configured.

Delivery never raises into the monitor run: a dead endpoint must not stop the checks. ``post_json`` returns
a ``Delivery`` that says whether it arrived and, if not, why, and the caller records it with the alert.

>>> check_webhook_url("ftp://example.org/hook")
Traceback (most recent call last):
...
engine.errors.AlertError: A webhook URL must start with http:// or https://. Got 'ftp://example.org/hook'.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import NamedTuple
from urllib.parse import urlsplit

from engine.errors import AlertError

__all__ = ["Delivery", "check_webhook_url", "post_json"]

USER_AGENT = "workbench-monitor/1"


class Delivery(NamedTuple):
    ok: bool
    status: int | None  # the HTTP status, None when no answer came
    message: str  # "delivered (HTTP 200)" or what went wrong, in one sentence
    seconds: float


def check_webhook_url(url: str) -> str:
    """``url`` stripped, if it is an http(s) URL with a host; else an ``AlertError`` saying what is wrong."""
    url = str(url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AlertError(f"A webhook URL must start with http:// or https://. Got {url!r}.")
    if not parts.hostname:
        raise AlertError(f"The webhook URL {url!r} has no host name.")
    return url


def post_json(url: str, payload: dict, timeout: float = 5.0) -> Delivery:
    """POST ``payload`` as JSON to ``url``; a 2xx answer within ``timeout`` seconds counts as delivered."""
    started = time.monotonic()
    body = json.dumps(payload, default=str).encode("utf-8")
    request = urllib.request.Request(check_webhook_url(url), data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            status = response.status
    except urllib.error.HTTPError as exc:
        return Delivery(False, exc.code, f"the endpoint answered HTTP {exc.code} ({exc.reason})",
                        time.monotonic() - started)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(False, None, f"no answer from the endpoint: {reason}", time.monotonic() - started)
    ok = 200 <= status < 300
    return Delivery(ok, status, f"delivered (HTTP {status})" if ok else f"the endpoint answered HTTP {status}",
                    time.monotonic() - started)
