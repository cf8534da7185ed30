"""Data sources in headless Chromium: an Excel workbook (sheet picker), a SQLite query, then every Explore view."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from tests.e2e.helpers import create_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"name": ["a", "b"], "age": [30, 40]}).to_excel(writer, sheet_name="people", index=False)
        pd.DataFrame({"city": ["Oslo", "Rome", "Lima"], "rent": [1500, 1100, 700]}).to_excel(
            writer, sheet_name="cities", index=False)
    return path


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER, region TEXT, amount REAL, returned INTEGER)")
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)",
                         [(i, ["north", "south", "east"][i % 3], 10.0 + (i * 7) % 50, i % 4 == 0)
                          for i in range(60)])
    return path


def test_excel_sheet_and_sqlite_query_then_explore(app_server, open_page, workbook, database):
    st = open_page(app_server.url, "sources")
    st.goto("/")
    create_project(st, "Sources e2e")

    st.upload("Upload a table (CSV, TSV, Excel, Parquet, JSON)", workbook)
    st.main.get_by_role("heading", name="book.xlsx").wait_for()
    st.select("Sheet (2 in this workbook)", "cities")
    st.click("Read this sheet")
    st.main.locator('[data-testid="stMetricValue"]').filter(has_text="3").first.wait_for()
    st.assert_no_exception("excel sheet")
    st.screenshot("01_excel_sheet")

    st.act(lambda: st.page.get_by_role("tab", name="Query a database").click(), grace=0.3)
    st.act(lambda: st.main.get_by_label("Database URL", exact=True).fill(f"sqlite:///{database}"))
    st.act(lambda: st.main.get_by_label("Database URL", exact=True).press("Enter"))
    query = st.main.get_by_label("Query (one read-only SELECT)", exact=True)
    st.act(lambda: query.fill("SELECT region, amount, returned FROM orders WHERE amount > 20"))
    st.act(lambda: query.press("Control+Enter"))
    st.click("Import")
    st.main.get_by_role("heading", name="shop.db (sql)").wait_for()
    st.assert_no_exception("sql import")
    st.screenshot("02_sql_imported")

    st.nav("Explore")
    for tab in ["Overview", "Columns", "Missing values", "Correlations", "Relationships"]:
        st.act(lambda tab=tab: st.page.get_by_role("tab", name=tab).click(), grace=0.3)
        st.wait_idle()
        st.assert_no_exception(f"explore {tab}")
        st.screenshot(f"03_explore_{tab.lower().replace(' ', '_')}")
    assert st.main.locator('[data-testid="stPlotlyChart"] svg.main-svg').count() >= 1
