"""The Data page's "From a URL" tab, against a local HTTP server."""

from __future__ import annotations

import http.server
import threading

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import assert_clean

PAGE = (b"<html><body><table><tr><th>city</th><th>rent</th></tr><tr><td>Oslo</td><td>1500</td></tr></table>"
        b"<table><tr><th>year</th><th>rate</th></tr><tr><td>2020</td><td>0.5</td></tr>"
        b"<tr><td>2021</td><td>0.7</td></tr></table></body></html>")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch):
    """The test server listens on 127.0.0.1, which the workbench only fetches from when the operator allows it."""
    monkeypatch.setenv("WORKBENCH_ALLOW_PRIVATE_URLS", "1")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _url_app():
    import streamlit as st

    from pages import ui
    from pages.sections import data_http

    data_http.url_section(ui.workspace(), st.session_state["project_id"])


def test_pick_and_import_a_table_from_a_web_page(ws, server):
    project = ws.create_project("Web")
    at = AppTest.from_function(_url_app, default_timeout=60)
    at.session_state["project_id"] = project["id"]
    at.run()
    at.text_input(key="data_url").set_value(f"{server}/rates.html").run()
    assert_clean(at)
    assert at.selectbox(key="data_url_table").options == ["Table 1 (1 rows × 2 columns)",
                                                          "Table 2 (2 rows × 2 columns)"]
    at.selectbox(key="data_url_table").select(1).run()
    at.button(key="data_url_import").click().run()
    assert_clean(at)
    dataset = ws.get_dataset(ws.get_project(project["id"])["dataset_id"])
    assert (dataset["n_rows"], dataset["source"]) == (2, f"url:{server}/rates.html")


def test_unreachable_url_shows_a_message(ws):
    project = ws.create_project("Web")
    at = AppTest.from_function(_url_app, default_timeout=60)
    at.session_state["project_id"] = project["id"]
    at.run()
    at.text_input(key="data_url").set_value("http://127.0.0.1:9/x.csv").run()
    assert_clean(at)
    assert "could not be reached" in at.error[0].value
    assert ws.get_project(project["id"])["dataset_id"] is None
