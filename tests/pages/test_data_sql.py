"""The Data page's "Query a database" section: preview, import, and errors without the password."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import assert_clean


def _sql_app():
    from pages import ui
    from pages.sections.data_sql import sql_section

    ws = ui.workspace()
    sql_section(ws, ws.list_projects()[0]["id"])


@pytest.fixture
def shop_url(orders_db):
    """A SQLite file with 150 orders (amount id * 1.5), as a URL carrying a (for SQLite meaningless) password."""
    return f"sqlite://ann:hunter2@/{orders_db(150, 1.5)}"


@pytest.fixture
def app(ws):
    ws.create_project("Shop")
    return AppTest.from_function(_sql_app, default_timeout=60).run()


def _fill(at: AppTest, url: str, query: str) -> AppTest:
    at.text_input(key="data_sql_url").set_value(url)
    at.text_area(key="data_sql_query").set_value(query)
    return at.run()


def test_buttons_wait_for_url_and_query(app):
    assert_clean(app)
    assert app.button(key="data_sql_preview").disabled
    assert app.button(key="data_sql_import").disabled


def test_preview_shows_the_first_100_rows(app, ws, shop_url):
    at = _fill(app, shop_url, "SELECT * FROM orders ORDER BY id")
    at.button(key="data_sql_preview").click().run()
    assert_clean(at)
    frame = at.dataframe[0].value
    assert len(frame) == 100
    assert list(frame.columns) == ["id", "city", "amount"]
    assert frame["id"].iloc[-1] == 100
    assert ws.get_project(ws.list_projects()[0]["id"])["dataset_id"] is None


def test_import_stores_every_row_without_the_password(app, ws, shop_url):
    at = _fill(app, shop_url, "SELECT id, amount FROM orders WHERE city = 'Oslo'")
    at.button(key="data_sql_import").click().run()
    assert_clean(at)
    project = ws.get_project(ws.list_projects()[0]["id"])
    assert project["dataset_id"] is not None
    dataset = ws.get_dataset(project["dataset_id"])
    assert dataset["source"].startswith("sql:sqlite://ann:***@/")
    assert "hunter2" not in str(dataset)
    frame = ws.load_dataset(dataset["id"])
    assert len(frame) == 75
    assert list(frame.columns) == ["id", "amount"]


@pytest.mark.parametrize("query, message", [
    ("DELETE FROM orders", "read-only SELECT"),
    ("SELECT 1; DROP TABLE orders", "several statements"),
    ("SELECT * FROM customers", "no such table: customers"),
], ids=["write", "two-statements", "sql-error"])
def test_bad_query_shows_a_message(app, ws, shop_url, query, message):
    at = _fill(app, shop_url, query)
    at.button(key="data_sql_import").click().run()
    assert_clean(at)
    assert message in at.error[0].value
    assert "hunter2" not in at.error[0].value
    assert ws.get_project(ws.list_projects()[0]["id"])["dataset_id"] is None


def test_unsupported_driver_names_the_supported_ones(app):
    """pg8000 cannot be held to one read-only statement: the page says which driver to use instead."""
    at = _fill(app, "postgresql+pg8000://ann:hunter2@localhost:1/shop", "SELECT 1")
    at.button(key="data_sql_preview").click().run()
    assert_clean(at)
    assert "use one of: sqlite+pysqlite, postgresql+psycopg" in at.error[0].value
    assert "ann:***@localhost" in at.error[0].value
    assert "hunter2" not in at.error[0].value
