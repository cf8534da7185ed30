"""The copy-paste curl command (Deploy page, bundle README): pasted into a shell, it sends exactly the row and
runs nothing, whatever the column names hold."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from engine.deploy.serving import curl_command
from usecases.servers import curl_example

HOSTILE = ["x' $(touch {marker}) '", "plan' `touch {marker}` '", 'q" $(touch {marker}) "', "a\\' ; touch {marker} #"]


@pytest.fixture
def receiver():
    """A local HTTP server that keeps each request's body and Authorization header."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers.get("Authorization")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", HOSTILE)
def test_the_pasted_command_sends_the_row_and_runs_nothing(name, receiver, tmp_path):
    url, received = receiver
    marker = tmp_path / "pwned"
    features = [{"name": name.format(marker=marker)}, {"name": "age"}]
    command = curl_command(url, features, token="t0k'$(touch " + str(marker) + ")")
    subprocess.run(["bash", "-c", command], check=True, capture_output=True, timeout=30)
    assert not marker.exists()
    body, auth = received[0]
    assert json.loads(body) == {features[0]["name"]: None, "age": None}
    assert auth == f"Bearer t0k'$(touch {marker})"


def test_the_deploy_page_command_carries_the_token_when_one_is_set(monkeypatch):
    features = [{"name": "age"}]
    monkeypatch.delenv("WORKBENCH_API_TOKEN", raising=False)
    assert "Authorization" not in curl_example({"host": "127.0.0.1", "port": 8000}, features)
    monkeypatch.setenv("WORKBENCH_API_TOKEN", "s3cret")
    assert "-H 'Authorization: Bearer s3cret'" in curl_example({"host": "127.0.0.1", "port": 8000}, features)
