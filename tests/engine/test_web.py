"""Tables from URLs, against a local HTTP server started by the test."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from engine.data.web import SourceError, fetch, read_url
from engine.errors import FileTooLargeError

PAGES = {
    "/data.csv": ("text/csv", b"a,b\n1,x\n2,y\n3,z\n"),
    "/api/items": ("application/json", b'[{"id": 1, "price": 9.5}, {"id": 2, "price": 3.0}]'),
    "/page.html": ("text/html", b"<html><body><h1>Prices</h1>"
                   b"<table><tr><th>city</th><th>rent</th></tr><tr><td>Oslo</td><td>1500</td></tr>"
                   b"<tr><td>Rome</td><td>1100</td></tr></table>"
                   b"<table><tr><th>k</th></tr><tr><td>1</td></tr></table></body></html>"),
    "/plain.html": ("text/html", b"<html><body><p>no tables here</p></body></html>"),
    "/empty.csv": ("text/csv", b""),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path == "/slow":
            time.sleep(2)
        if self.path not in PAGES:
            self.send_error(404, "Not Found")
            return
        content_type, body = PAGES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch):
    """The test server listens on 127.0.0.1, which the workbench only fetches from when the operator allows it."""
    monkeypatch.setenv("WORKBENCH_ALLOW_PRIVATE_URLS", "1")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_csv_url_is_read_like_a_file(server):
    table = read_url(f"{server}/data.csv")
    assert table.frame.to_dict("list") == {"a": [1, 2, 3], "b": ["x", "y", "z"]}


def test_json_api_without_extension_is_read_as_json(server):
    table = read_url(f"{server}/api/items")
    assert table.frame["price"].tolist() == [9.5, 3.0]


def test_html_page_tables_are_listed_and_picked(server):
    assert read_url(f"{server}/page.html").frame.to_dict("list") == {"city": ["Oslo", "Rome"], "rent": [1500, 1100]}
    assert read_url(f"{server}/page.html", table=1).frame.columns.tolist() == ["k"]
    with pytest.raises(SourceError, match="has 2 tables; pick one from 1 to 2"):
        read_url(f"{server}/page.html", table=5)


@pytest.mark.parametrize(
    ("path", "message"),
    [("/missing.csv", "answered 404"), ("/plain.html", "no <table>"), ("/empty.csv", "empty answer")],
    ids=["404", "no-tables", "empty"],
)
def test_bad_answers_give_clear_errors(server, path, message):
    with pytest.raises(SourceError, match=message):
        read_url(f"{server}{path}")


def test_time_out_is_a_clean_error(server):
    with pytest.raises(SourceError, match="could not be reached"):
        fetch(f"{server}/slow", timeout=0.5)


def test_unreachable_host_is_a_clean_error():
    with pytest.raises(SourceError, match="could not be reached"):
        fetch("http://127.0.0.1:9/data.csv", timeout=2)


@pytest.mark.parametrize("url", ["ftp://example.org/a.csv", "file:///etc/passwd", "data.csv"])
def test_only_http_urls_are_fetched(url):
    with pytest.raises(SourceError, match="is not an http"):
        fetch(url)


def test_size_limit_applies(server):
    with pytest.raises(FileTooLargeError, match="limit"):
        fetch(f"{server}/data.csv", max_bytes=5)
