"""Import from a URL reaches the public internet only, within a total time limit.

The workbench's server, not the user's browser, makes the request: without a rule, a URL could read the cloud
metadata service (169.254.169.254) or anything else listening on the server's own machine or network. The test
servers here listen on loopback, which is exactly what is refused unless ``WORKBENCH_ALLOW_PRIVATE_URLS=1``.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from engine.data import web
from engine.data.web import SourceError, fetch

CSV = b"a,b\n1,x\n2,y\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path.startswith("/redirect-to/"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/redirect-to/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/drip.csv":  # a byte every 0.3 s: each read is quick, the whole answer is not
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            try:
                for byte in CSV:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(CSV)))
        self.end_headers()
        self.wfile.write(CSV)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def port():
    """A CSV server on 127.0.0.1 (and nothing else): ``/data.csv``, ``/drip.csv``, ``/redirect-to/<url>``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def private_urls_refused(monkeypatch):
    monkeypatch.delenv("WORKBENCH_ALLOW_PRIVATE_URLS", raising=False)


@pytest.mark.parametrize("host, kind", [
    ("127.0.0.1", "loopback"),
    ("2130706433", "loopback"),  # 127.0.0.1 written as one number
    ("[::ffff:127.0.0.1]", "loopback"),  # 127.0.0.1 inside an IPv6 address
    ("localhost", "loopback"),
    ("0.0.0.0", "unspecified"),
], ids=["ip", "decimal-ip", "ipv4-mapped-ipv6", "localhost", "unspecified"])
def test_this_machine_is_not_fetched_unless_allowed(port, private_urls_refused, monkeypatch, host, kind):
    url = f"http://{host}:{port}/data.csv"
    with pytest.raises(SourceError, match=f"a {kind} address, which the workbench does not fetch from"):
        fetch(url, timeout=2)
    monkeypatch.setenv("WORKBENCH_ALLOW_PRIVATE_URLS", "1")
    assert fetch(f"http://127.0.0.1:{port}/data.csv", timeout=2).content == CSV


@pytest.mark.parametrize("url, kind", [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),  # the cloud metadata service
    ("http://10.1.2.3/data.csv", "private"),
    ("http://192.168.0.1/data.csv", "private"),
    ("http://[fd00::1]/data.csv", "private"),
    ("http://224.0.0.1/data.csv", "multicast"),
    ("http://100.64.0.1/data.csv", "reserved"),  # carrier-grade NAT: not global
], ids=["metadata", "10-net", "192-168", "ipv6-unique-local", "multicast", "shared-nat"])
def test_private_networks_are_not_fetched(private_urls_refused, url, kind):
    started = time.monotonic()
    with pytest.raises(SourceError, match=f"a {kind} address"):
        fetch(url, timeout=2)
    assert time.monotonic() - started < 1, "refused before any connection is tried"


def test_a_redirect_to_this_machine_is_refused(port, private_urls_refused, monkeypatch):
    """The first hop is allowed (the test server stands in for a public site); its redirect is checked again."""
    monkeypatch.setattr(web, "blocked_address_kind",
                        lambda address, check=web.blocked_address_kind: None if address == "127.0.0.1" else
                        check(address))
    assert fetch(f"http://127.0.0.1:{port}/data.csv", timeout=2).content == CSV
    for target in ("http://169.254.169.254/latest/meta-data/", f"http://[::1]:{port}/data.csv"):
        with pytest.raises(SourceError, match="which the workbench does not fetch from"):
            fetch(f"http://127.0.0.1:{port}/redirect-to/{target}", timeout=2)


def test_connection_goes_to_the_checked_address(port, private_urls_refused, monkeypatch):
    """DNS rebinding: a name that answers a public address to the check and a private one later is not re-resolved."""
    answers = iter(["127.0.0.1", "127.0.0.2"])  # 127.0.0.1 stands in for the public answer; nothing on .2
    real = socket.getaddrinfo

    def rebinding_dns(host, *args, **kwargs):
        return real(next(answers) if host == "rebind.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(web, "blocked_address_kind",
                        lambda address, check=web.blocked_address_kind: None if address == "127.0.0.1" else
                        check(address))
    assert fetch(f"http://rebind.test:{port}/data.csv", timeout=2).content == CSV
    assert next(answers) == "127.0.0.2", "the name was resolved once, for the check"


def test_time_limit_is_a_total_deadline(port, monkeypatch):
    """A server dripping a byte every 0.3 s (12 bytes, 3.6 s) cannot hold a 1 s fetch beyond its second."""
    monkeypatch.setenv("WORKBENCH_ALLOW_PRIVATE_URLS", "1")
    started = time.monotonic()
    with pytest.raises(SourceError, match="no complete answer within 1 s"):
        fetch(f"http://127.0.0.1:{port}/drip.csv", timeout=1)
    assert time.monotonic() - started < 1.5
