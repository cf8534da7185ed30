"""The Explore page: overview and warnings, columns, missing values, correlations, relationships, report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tests.pages.helpers import assert_clean, open_page
from usecases import projects


def _charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _titles(at) -> list[str]:
    return [chart["layout"].get("title", {}).get("text", "") for chart in _charts(at)]


def test_explore_has_five_tabs_and_the_overview(churn_project):
    at = open_page("explore", churn_project["id"])
    assert_clean(at)
    assert [t.label for t in at.tabs] == ["Overview", "Columns", "Missing values", "Correlations", "Relationships"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "1,500"
    assert metrics["Columns"] == "8"
    assert metrics["Duplicate rows"] == "0"
    assert any("id-like" in w.value and "customer_id" in w.value for w in at.warning)
    assert at.download_button[0].label == "Download the HTML report"


def test_explore_columns_tab_shows_statistics_and_charts(churn_project):
    at = open_page("explore", churn_project["id"])
    stats = at.dataframe[0].value.set_index("column")
    assert list(stats.index)[:3] == ["customer_id", "plan", "region"]
    assert stats.loc["region", "missing"] > 0
    # the key statistics in a narrow first table (the name pinned), the rest in a second one behind an expander
    assert list(stats.columns) == ["kind", "missing", "missing_%", "distinct", "mean", "std", "min", "median", "max",
                                   "top"]
    assert round(stats.loc["tenure_months", "mean"], 2) == 36.08 and stats.loc["plan", "top"] == "basic"
    more = at.dataframe[1].value.set_index("column")
    assert {"p5", "p95", "skew", "kurtosis", "variance", "top_values"} <= set(more.columns)
    assert not set(more.columns) & set(stats.columns)
    assert [e.label for e in at.expander] == ["More statistics: quantiles, shape, top values"]
    assert "churned" in _titles(at)[0]
    at.selectbox(key="explore_column").select("tenure_months").run()
    assert_clean(at)
    titles = _titles(at)
    assert titles[0].startswith("tenure_months") and titles[1].startswith("tenure_months: box plot")


def test_explore_correlations_and_relationships(churn_project):
    at = open_page("explore", churn_project["id"])
    titles = _titles(at)
    assert "Missing values per column" in titles
    assert any(t.startswith("Missing cells by row") for t in titles)
    assert "Pearson" in titles
    assert "Association with the target 'churned'" in titles
    assert "Share of each churned class by plan" in titles
    at.radio(key="explore_method").set_value("mixed").run()
    assert_clean(at)
    assert any(t.startswith("|Pearson| · Cramér's V") for t in _titles(at))
    at.selectbox(key="explore_y").select("support_tickets").run()
    at.selectbox(key="explore_feature").select("tenure_months").run()
    assert_clean(at)
    titles = _titles(at)
    assert "support_tickets vs tenure_months" in titles
    assert "tenure_months per class of churned" in titles


def test_explore_without_a_target_points_to_the_data_page(ws, churn_project):
    ws.update_project(churn_project["id"], problem=None)
    at = open_page("explore", churn_project["id"])
    assert_clean(at)
    assert [i.value for i in at.info][-2:] == [
        "Choose the target on the **Data** page to rank features by their association with it.",
        "Choose the target on the **Data** page to see each feature against it.",
    ]


def test_many_warnings_of_one_kind_show_once_with_every_column_in_an_expander(ws):
    import numpy as np
    import pandas as pd

    from usecases import projects

    n = 30
    columns = {"row": list(range(n))}
    for j in range(150):
        columns[f"const{j}"] = ["same"] * n
        columns[f"gap{j}"] = [float(i + j) for i in range(12)] + [np.nan] * (n - 12)
    project = ws.create_project("Wide")
    projects.add_frame(ws, project["id"], pd.DataFrame(columns), "wide.csv", "test", [])
    at = open_page("explore", project["id"])
    assert_clean(at)
    constant = [w.value for w in at.warning if "**constant**" in w.value]
    assert constant == ["**constant** · 150 columns have a single value on every filled row: 'const0', 'const1', "
                        "'const2' and 147 more."]
    assert len(at.warning) == 2
    expanders = {e.label: e for e in at.expander if e.label.startswith("All ")}  # not "More statistics"
    assert set(expanders) == {"All 150 columns: constant", "All 150 columns: missing"}
    listed = expanders["All 150 columns: constant"].dataframe[0].value
    assert listed["column"].tolist() == [f"const{j}" for j in range(150)]
    assert listed["why"][0] == "'const0' has a single value (same) on every filled row."


def test_correlations_say_when_they_hold_only_some_columns(ws):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 120)) * np.arange(1, 121), columns=[f"x{i}" for i in range(120)])
    pid = ws.create_project("Wide")["id"]
    projects.add_frame(ws, pid, frame, "wide", "test", [])
    at = open_page("explore", pid)
    assert_clean(at)
    assert "Associations computed for the 50 most variable of 120 columns." in [c.value for c in at.caption]
