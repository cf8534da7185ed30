"""Hide the secrets in a URL before it is stored or shown: userinfo and credential-looking query parameters.

One function, ``redact_url``, for every URL the workbench keeps or prints: a database URL, a web address, the
Optuna storage URL. It works on the text (never by parsing the URL into parts and back), so a URL no parser
accepts, or a password holding an unencoded ``@``, ``/`` or ``?``, is still hidden whole.

>>> redact_url("postgresql://ann:p@ss@db:5432/shop?sslmode=require&password=x")
'postgresql://ann:***@db:5432/shop?sslmode=require&password=***'
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["MASK", "is_secret_parameter", "redact_url", "url_name"]

MASK = "***"

# Query-parameter names (lower case, '-' read as '_') whose value is a credential ...
_SECRET_NAMES = frozenset({
    "pass", "pwd", "passwd", "password", "key", "apikey", "api_key", "secret", "token", "auth", "authorization",
    "sig", "signature", "credential", "credentials", "sessionid", "jwt", "bearer", "sas",
    "x_amz_signature", "x_amz_credential", "x_amz_security_token", "sslpassword",
})
# ... or whose name holds one of these words (access_token, client_secret, db_password, private_key, ...).
_SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key", "signature", "credential",
                 "private_key", "access_key", "secret_key")
# Web schemes, whose userinfo is hidden whole (``https://TOKEN@host``); elsewhere it is a database login whose
# user name is kept and only the password hidden.
_WEB_SCHEMES = ("http://", "https://", "ftp://", "ftps://", "ws://", "wss://")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\- ]*://", re.IGNORECASE)


def is_secret_parameter(name: str) -> bool:
    """Whether a query parameter called ``name`` carries a credential: ``is_secret_parameter('api-key') is True``."""
    key = unquote(name).strip().lower().replace("-", "_")
    return key in _SECRET_NAMES or any(word in key for word in _SECRET_WORDS)


def redact_url(url: str) -> str:
    """``url`` with its password (or whole userinfo for web addresses) and credential parameters as ``***``.

    >>> redact_url("https://api.example.org/v1/rates.csv?api_key=abc123&year=2024")
    'https://api.example.org/v1/rates.csv?api_key=***&year=2024'
    >>> redact_url("https://token123@example.org/data.csv")
    'https://***@example.org/data.csv'
    """
    match = _SCHEME.match(url)
    head, rest = (url[:match.end()], url[match.end():]) if match else ("", url)
    if match:
        rest = _redact_userinfo(rest, keep_user=not head.lower().startswith(_WEB_SCHEMES))
    base, sep, fragment = rest.partition("#")
    path, qsep, query = base.partition("?")
    return head + path + qsep + _redact_parameters(query) + sep + _redact_parameters(fragment)


def url_name(url: str) -> str:
    """A short name for what ``url`` points at: its last path segment, else its host; never a secret.

    >>> url_name("postgresql://ann:pw@db:5432/shop?password=x"), url_name("https://k@api.example.org/?key=1")
    ('shop', 'api.example.org')
    """
    shown = redact_url(url).split("#", 1)[0].split("?", 1)[0].rstrip("/")
    name = shown.rsplit("/", 1)[-1]
    if "://" in shown and shown.index("://") + 3 >= len(shown) - len(name):  # no path: the authority itself
        name = name.rsplit("@", 1)[-1]
    return name or shown


def _redact_userinfo(rest: str, *, keep_user: bool) -> str:
    """``user:password@host/...`` -> ``user:***@host/...``; the userinfo ends at the last ``@`` of the authority."""
    end = len(rest)
    for stop in "/?#":
        if stop in rest:
            end = min(end, rest.index(stop))
    at = rest.rfind("@", 0, end)
    if at < 0:
        # A password holding '/', '?' or '#' cuts the authority short ("ann:pa/ss@db"): what follows the colon is
        # not a port, and an '@' comes later.
        colon = rest.find(":", 0, end)
        if colon < 0 or rest[colon + 1:end].isdigit() or "@" not in rest[end:]:
            return rest
        at = rest.index("@", end)
    userinfo = rest[:at]
    user, colon, _ = userinfo.partition(":")
    shown = f"{user}:{MASK}" if keep_user and colon else (user if keep_user else MASK)
    return f"{shown}@{rest[at + 1:]}"


def _redact_parameters(query: str) -> str:
    """``a=1&token=x`` -> ``a=1&token=***``; anything that is not ``name=value`` is kept as written."""
    if "=" not in query:
        return query
    pieces = re.split(r"([&;])", query)
    for i, piece in enumerate(pieces):
        name, eq, _ = piece.partition("=")
        if eq and is_secret_parameter(name):
            pieces[i] = f"{name}={MASK}"
    return "".join(pieces)
