"""The app password (``WORKBENCH_PASSWORD``): a constant-time check, and a growing wait after each wrong try.

A client that types a wrong password must wait 1 s before its next try, then 2 s, 4 s, … up to 30 s; the right
password clears its record, and a client quiet for 15 minutes is forgotten. A try during the wait is refused
before the password is compared, so more tabs or sessions do not buy more guesses. Streamlit runs every session in
a thread of one process, so the record is one dict behind a lock, shared by all sessions; it lives in memory, and
a restart forgets it. The page names the client by its connection's IP address: behind a reverse proxy every
client has the proxy's address, and they share one record (one wait).

>>> wait_after(1), wait_after(3), wait_after(10)
(1.0, 4.0, 30.0)
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import threading
import time
from typing import NamedTuple

from engine.errors import WorkbenchError

__all__ = ["FIRST_WAIT_SECONDS", "MAX_WAIT_SECONDS", "PASSWORD_ENV", "TooManyAttempts", "check_password",
           "password_required", "wait_after"]

PASSWORD_ENV = "WORKBENCH_PASSWORD"
FIRST_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 30.0
_FORGET_AFTER_SECONDS = 15 * 60


class TooManyAttempts(WorkbenchError):
    """The password was tried again before the wait after a wrong one ended."""


class _Failures(NamedTuple):
    count: int  # wrong tries in a row
    retry_at: float  # time.monotonic() from which the next try is heard


_failures: dict[str, _Failures] = {}
_lock = threading.Lock()


def password_required() -> bool:
    """True when ``WORKBENCH_PASSWORD`` is set (to anything but an empty string)."""
    return bool(os.environ.get(PASSWORD_ENV))


def wait_after(failures: int) -> float:
    """Seconds a client must wait after ``failures`` wrong tries in a row: doubling from 1 s, at most 30 s."""
    return min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2.0 ** min(failures - 1, 32))


def check_password(given: str, *, client: str, now: float | None = None) -> bool:
    """True when ``given`` is the app password; False when it is not (or none is set), and ``client`` then waits.

    ``client`` names who is trying (the page passes the connection's IP address); ``now`` is a
    ``time.monotonic()`` value, for tests. Raises TooManyAttempts, saying how long to wait, when ``client``
    tries again before the wait after its last wrong password has ended.
    """
    now = time.monotonic() if now is None else now
    with _lock:  # one try at a time, so two sessions cannot both pass the same wait
        record = _failures.get(client)
        if record is not None and now < record.retry_at:
            seconds = math.ceil(record.retry_at - now)
            raise TooManyAttempts(f"Too many wrong passwords. Wait {seconds} s, then try again.")
        if _matches(given, os.environ.get(PASSWORD_ENV, "")):
            _failures.pop(client, None)
            return True
        count = 1 if record is None else record.count + 1
        _forget_quiet_clients(now)
        _failures[client] = _Failures(count, now + wait_after(count))
        return False


def _matches(given: str, expected: str) -> bool:
    """Compare in constant time; hashing first makes the time independent of the lengths too."""
    return bool(expected) and hmac.compare_digest(_digest(given), _digest(expected))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _forget_quiet_clients(now: float) -> None:
    for client in [c for c, r in _failures.items() if now - r.retry_at > _FORGET_AFTER_SECONDS]:
        del _failures[client]
