"""Column types in headless Chromium: change one column's type without the grid; it survives a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import create_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def stores_csv(tmp_path):
    path = tmp_path / "stores.csv"
    rows = [f"{i},{[101, 202, 303][i % 3]},{100 + 7 * i}" for i in range(30)]
    path.write_text("store,region_code,sales\n" + "\n".join(rows) + "\n")
    return path


def test_change_a_numeric_column_to_categorical_then_reload(app_server, open_page, stores_csv):
    st = open_page(app_server.url, "types")
    st.goto("/")
    create_project(st, "Types e2e")
    st.upload("Upload a table (CSV, TSV, Excel, Parquet, JSON)", stores_csv)
    st.main.get_by_role("heading", name="stores.csv").wait_for()

    st.select("Column to change", "region_code")
    kind = st.widget("stSelectbox", "New type").get_by_role("combobox")
    expect(kind).to_have_value("numeric")
    st.select("New type", "categorical")
    st.click("Apply")
    st.assert_no_exception("apply type")
    st.screenshot("01_type_changed")

    st.act(st.page.reload)
    st.main.get_by_role("heading", name="stores.csv").wait_for()
    st.select("Column to change", "region_code")
    expect(st.widget("stSelectbox", "New type").get_by_role("combobox")).to_have_value("categorical")
    expect(st.main.get_by_role("button", name="Apply", exact=True)).to_be_disabled()

    st.nav("Explore")
    st.act(lambda: st.page.get_by_role("tab", name="Columns").click(), grace=0.3)
    st.select("Column", "region_code")
    caption = st.main.locator('[data-testid="stCaptionContainer"]').filter(has_text="distinct values")
    expect(caption).to_contain_text("Type categorical")
    expect(caption).to_contain_text("set to categorical by you (inferred numeric)")
    st.assert_no_exception("explore column")
    st.screenshot("02_explore_column")
