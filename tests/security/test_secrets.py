"""Credentials in a URL are never stored or shown: not in a dataset's name or source, not on the Train page.

Whatever a workspace keeps ends up in the shared report, the model card and ``GET /model``, so the tests check the
stored records and every byte the workspace wrote, not one screen.
"""

from __future__ import annotations

import http.server
import json
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import make_url

from engine.data import redact_url

SECRET = "s3cr3t-Hunter2"


@pytest.mark.parametrize("url, shown", [
    ("postgresql://ann:p@ss" + SECRET + "@db:5432/shop", "postgresql://ann:***@db:5432/shop"),
    ("postgresql://db/shop?user=ann&password=" + SECRET, "postgresql://db/shop?user=ann&password=***"),
    ("mysql://db/sales?sslmode=require&PWD=" + SECRET, "mysql://db/sales?sslmode=require&PWD=***"),
    ("https://api.example.org/v1/rates.csv?year=2024&api_key=" + SECRET,
     "https://api.example.org/v1/rates.csv?year=2024&api_key=***"),
    ("https://api.example.org/x.json?apikey=" + SECRET + "&token=" + SECRET + "&Signature=" + SECRET,
     "https://api.example.org/x.json?apikey=***&token=***&Signature=***"),
    ("https://" + SECRET + "@example.org/data.csv", "https://***@example.org/data.csv"),
    ("https://bucket.example.org/a.csv?X-Amz-Credential=" + SECRET + "&X-Amz-Signature=" + SECRET,
     "https://bucket.example.org/a.csv?X-Amz-Credential=***&X-Amz-Signature=***"),
    ("https://example.org/data.csv#access_token=" + SECRET, "https://example.org/data.csv#access_token=***"),
], ids=["at-in-password", "password-parameter", "pwd-parameter", "api-key", "token-sig",
        "token-as-user", "signed-s3-url", "token-in-fragment"])
def test_redact_url_hides_every_credential(url, shown):
    assert redact_url(url) == shown


def test_sql_password_with_an_unencoded_at_is_not_half_shown():
    """SQLAlchemy reads ``ann:p@ss...@db`` as password ``p``, host ``ss...@db``: the driver's error showed the rest."""
    from engine.data.sql import ConnectError, read_query

    with pytest.raises(ConnectError, match="holds an '@'; write it as %40") as info:
        read_query(f"postgresql+psycopg://ann:p@ss{SECRET}@127.0.0.1:1/shop", "SELECT 1", timeout=2)
    assert SECRET not in str(info.value) and "ann:***@127.0.0.1:1/shop" in str(info.value)


def test_sql_import_keeps_no_password_parameter(ws, orders_db):
    """A ``?password=`` parameter, not only the userinfo password, stays out of the dataset's name and source."""
    from usecases.sql import import_query

    project = ws.create_project("Shop")
    url = f"sqlite:///{orders_db(4, 1.0)}?password={SECRET}"
    dataset = import_query(ws, project["id"], url, "SELECT * FROM orders")
    assert dataset["name"] == "shop.db (sql)"
    assert dataset["source"].endswith("shop.db?password=***")
    _assert_workspace_holds_no(ws, SECRET)


@pytest.mark.slow
def test_postgresql_import_keeps_no_password_parameter(ws, postgres_url):
    from usecases.sql import import_query

    password = make_url(postgres_url).password
    url = make_url(postgres_url).set(password=None).render_as_string() + f"?password={password}"
    project = ws.create_project("Shop")
    dataset = import_query(ws, project["id"], url, "SELECT 1 AS one")
    assert dataset["name"] == "postgres (sql)" and dataset["source"].endswith("/postgres?password=***")
    _assert_workspace_holds_no(ws, password)


class _CsvHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        body = b"city,rent\nOslo,1500\nRome,1100\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api(monkeypatch):
    """A CSV API on loopback (allowed for the test): every path answers the same table."""
    monkeypatch.setenv("WORKBENCH_ALLOW_PRIVATE_URLS", "1")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CsvHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_import_keeps_no_api_key(ws, api):
    from usecases.web import import_url

    project = ws.create_project("Rents")
    dataset = import_url(ws, project["id"], f"http://user:{SECRET}@{api}/v1/rents.csv?city=all&api_key={SECRET}")
    assert dataset["name"] == "rents.csv (web)"
    assert dataset["source"] == f"url:http://***@{api}/v1/rents.csv?city=all&api_key=***"
    assert dataset["n_rows"] == 2
    _assert_workspace_holds_no(ws, SECRET)


def test_shared_report_names_the_dataset_without_secrets(ws, api):
    """The password-free shared report shows the dataset's name: an API key in the URL stays out of it."""
    from usecases.sharing import report_data
    from usecases.web import import_url

    project = ws.create_project("Rents")
    import_url(ws, project["id"], f"http://{api}/v1/rents.csv?api_key={SECRET}")
    report = report_data(ws, project["id"])
    assert report.dataset == "rents.csv (web)"
    assert SECRET not in repr(report)


def test_train_page_worker_command_hides_the_studies_password(ws, monkeypatch):
    """The Train page shows a command to add tuning workers; the studies database's password is not in it."""
    from usecases.tuning import worker_command

    monkeypatch.setenv("WORKBENCH_STUDIES_URL", f"postgresql+psycopg://optuna:{SECRET}@db:5432/studies")
    command = worker_command(ws, SimpleNamespace(study_name="run1-decision_tree"))
    assert SECRET not in command
    assert '--storage "$WORKBENCH_STUDIES_URL"' in command


def _assert_workspace_holds_no(ws, secret: str) -> None:
    records = json.dumps([ws.list_projects(), *[ws.list_datasets(p["id"]) for p in ws.list_projects()]], default=str)
    assert secret not in records
    for path in ws.home.rglob("*"):
        assert not path.is_file() or secret.encode() not in path.read_bytes(), path
