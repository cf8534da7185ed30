"""Webhook delivery against a real local HTTP server started by the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from engine.errors import AlertError
from engine.monitor.webhook import check_webhook_url, post_json


class _Recorder(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        type(self).received.append((self.path, self.headers["Content-Type"], json.loads(self.rfile.read(length))))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    _Recorder.status = 200
    httpd = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder
    httpd.shutdown()
    httpd.server_close()


def test_an_alert_is_posted_as_json(server):
    url, recorder = server
    delivery = post_json(f"{url}/hook", {"project": "churn", "kind": "drift", "score": 0.31})
    assert delivery.ok and delivery.status == 200 and delivery.message == "delivered (HTTP 200)"
    assert recorder.received == [("/hook", "application/json", {"project": "churn", "kind": "drift", "score": 0.31})]


def test_a_failing_endpoint_is_reported_not_raised(server):
    url, recorder = server
    recorder.status = 500
    delivery = post_json(url, {"a": 1})
    assert not delivery.ok and delivery.status == 500 and "HTTP 500" in delivery.message
    closed = post_json("http://127.0.0.1:9/", {"a": 1}, timeout=2)  # port 9 (discard): nothing listens
    assert not closed.ok and closed.status is None and closed.message.startswith("no answer from the endpoint")


@pytest.mark.parametrize("url", ["", "ftp://x.org/h", "file:///etc/passwd", "http://"])
def test_only_http_urls_with_a_host_are_accepted(url):
    with pytest.raises(AlertError):
        check_webhook_url(url)
    assert check_webhook_url(" https://hooks.example.org/x ") == "https://hooks.example.org/x"
