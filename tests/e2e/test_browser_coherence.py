"""Issue 17, one browser test per numbered item: what the analyst sets holds everywhere, and nothing starts work
that the analyst did not ask for.

The project is made headlessly (the messy customers table, target ``churned``, a quick linear model), then driven
in headless Chromium. Screenshots land in test-artifacts/e2e/coherence/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine import Problem
from storage import Workspace
from tests.e2e.helpers import ROOT, StreamlitPage, act_live, fill_number
from usecases import projects

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MESSY = ROOT / "tests" / "data" / "messy_customers.csv"
TRIALS = "Trials per model (in total with AutoML)"
BUDGET = "Time budget, seconds (0 = none)"


@pytest.fixture
def messy_project(tmp_path):
    """A workspace holding the messy customers table with its target chosen and quick settings; no job yet."""
    ws = Workspace(tmp_path / "home")
    pid = ws.create_project("Messy customers")["id"]
    projects.import_file(ws, pid, MESSY.read_bytes(), MESSY.name)
    projects.set_problem(ws, pid, Problem("churned", "classification", "accuracy"))
    projects.save_settings(ws, pid, {"models": ["linear"], "cv_folds": 0})
    return ws, pid


@pytest.fixture
def on_project(start_server, open_page, messy_project):
    """``(st, ws, pid)``: the app open on the messy project's Data page."""
    ws, pid = messy_project
    server = start_server(ws.home, "coherence.log")
    st = open_page(server.url, "coherence")
    st.goto(f"/?project={pid}")
    return st, ws, pid


def step_row(st: StreamlitPage, number: int):
    """The bordered box of Prepare's step ``number`` (1-based): its title and description, controls, Edit."""
    title = st.main.locator('[data-testid="stMarkdownContainer"] strong').filter(
        has_text=re.compile(rf"^{number}\. "))
    expect(title).to_have_count(1)
    return title.locator("xpath=ancestor::div[@data-testid='stHorizontalBlock'][1]"
                         "/ancestor::div[@data-testid='stVerticalBlock'][1]")


def test_item_9_enter_does_not_start_training(on_project):
    st, ws, pid = on_project
    st.nav("Train")
    box = st.main.get_by_label(BUDGET, exact=True)
    box.fill("60")
    st.act(lambda: box.press("Enter"))  # commits the value: one rerun, no run started
    trials = st.main.get_by_label(TRIALS, exact=True)
    trials.fill("35")
    st.act(lambda: trials.press("Enter"))
    st.assert_no_exception("enter in the train settings")
    assert projects.project_jobs(ws, pid) == []
    assert st.main.locator('[data-testid="stProgress"]').count() == 0
    assert st.main.locator('[data-testid="stAlertContentError"]').count() == 0  # no "job 1 is still running"
    settings = projects.project_settings(ws, pid)
    assert (settings["time_budget"], settings["n_trials"]) == (60, 35)  # the values themselves were kept
    st.screenshot("item_9_after_enter")

    act_live(st, st.main.get_by_role("button", name="Start training", exact=True).click)
    progress = st.main.locator('[data-testid="stProgress"]')
    expect(progress).to_contain_text(re.compile(r"Job \d+: "), timeout=30_000)
    assert [job["kind"] for job in projects.project_jobs(ws, pid)] == ["train"]
    st.main.get_by_text("See the results on Evaluate").wait_for(timeout=180_000)  # leave no worker behind
    st.assert_no_exception("training started by the button")


def test_item_4_widgets_keep_their_values(on_project):
    st, ws, pid = on_project
    st.nav("Train")
    expect(st.main.get_by_label(TRIALS, exact=True)).to_have_value("20")
    fill_number(st, TRIALS, 35)
    st.nav("Explore")
    st.wait_idle(timeout=60)  # Explore profiles the data on its first visit
    st.nav("Train")
    expect(st.main.get_by_label(TRIALS, exact=True)).to_have_value("35")
    assert projects.project_jobs(ws, pid) == []
    st.screenshot("item_4_train_back")

    # Prepare: the proposal says why the numbers are filled with the median; after the step becomes "mean", no
    # text on the page still says median.
    st.nav("Prepare")
    st.main.get_by_text("Steps proposed from your data").wait_for()
    st.main.get_by_text(re.compile(r"filled with the median")).wait_for()
    number = 1 + [s["type"] for s in projects.project_recipe(ws, pid)["steps"]].index("impute")
    row = step_row(st, number)
    expect(row).to_contain_text("with the median of the training rows")
    st.act(lambda: row.get_by_text("Edit", exact=True).click(), grace=0.3)
    edit = row.locator('[data-testid="stForm"]')
    combo = st.widget("stSelectbox", "Fill with", edit).get_by_role("combobox")
    expect(combo).to_have_value("Median")
    combo.click()
    st.page.get_by_role("option", name="Mean", exact=True).click()
    expect(combo).to_have_value("Mean")
    st.click("Save step", scope=edit)
    expect(step_row(st, number)).to_contain_text("with the mean of the training rows")
    assert projects.project_recipe(ws, pid)["steps"][number - 1]["params"]["strategy"] == "mean"
    expect(st.main.get_by_text(re.compile(r"\bmedian\b.*training rows|filled with the median"))).to_have_count(0)
    st.assert_no_exception("prepare edit")
    st.screenshot("item_4_prepare_mean")


# -- item 13: advertised features, checked on what the user sees ------------------------------------------------

def _plotly_traces(chart) -> list[dict]:
    """The traces a drawn plotly chart holds (name, x, y, z), read from the browser's own figure."""
    chart.locator("svg.main-svg").first.wait_for()
    return chart.locator(".js-plotly-plot").evaluate(
        "gd => gd._fullData.map(t => ({name: t.name, type: t.type, x: t.x ? Array.from(t.x) : null, "
        "y: t.y ? Array.from(t.y) : null, z: t.z ? Array.from(t.z, row => Array.from(row)) : null}))")


def _chart_titled(st: StreamlitPage, title: str | re.Pattern):
    """The shown plotly chart whose title matches ``title``; charts of hidden tabs do not count."""
    return st.main.locator('[data-testid="stPlotlyChart"]').filter(visible=True).filter(
        has=st.page.locator(".gtitle").filter(has_text=title)).first


def _trained(ws: Workspace, pid: int) -> int:
    """Train the project's quick linear model headlessly (the training path has its own browser tests)."""
    import signal

    from usecases.training import run_training_job

    previous = signal.getsignal(signal.SIGTERM)  # the job installs its own SIGTERM handler
    try:
        job = ws.create_job(pid, "train")
        run_training_job(ws, job["id"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert ws.get_job(job["id"])["status"] == "succeeded", ws.get_job(job["id"])["message"]
    return ws.get_project(pid)["champion_model_id"]


def test_item_13_scree_plot_shows_each_components_share_of_variance(on_project):
    from usecases import preparation

    st, ws, pid = on_project
    recipe = projects.project_recipe(ws, pid)
    pca = {"type": "pca", "columns": {"kind": "all"}, "params": {"n_components": 3, "variance": None}}
    projects.save_recipe(ws, pid, {**recipe, "steps": [*recipe["steps"], pca]})
    expected = preparation.preview(ws, pid).pca_variance
    assert expected is not None and len(expected) == 3

    st.nav("Prepare")
    st.act(lambda: st.page.get_by_role("tab", name="Preview").click(), grace=0.3)
    chart = _chart_titled(st, "PCA scree plot")
    traces = {t["name"]: t for t in _plotly_traces(chart)}
    shares, cumulative = traces["explained variance"], traces["cumulative"]
    assert shares["x"] == [1, 2, 3] and cumulative["x"] == [1, 2, 3]
    assert shares["y"] == pytest.approx(expected, abs=1e-12)
    assert shares["y"] == sorted(shares["y"], reverse=True) and 0 < sum(shares["y"]) <= 1
    assert cumulative["y"] == pytest.approx([sum(expected[:i]) for i in (1, 2, 3)], abs=1e-12)
    assert chart.locator(".xtick text").all_text_contents() == ["1", "2", "3"]  # was 1, 1.5, 2, 2.5, 3
    st.assert_no_exception("prepare scree plot")
    chart.scroll_into_view_if_needed()
    st.screenshot("item_13_scree_plot")


def test_item_13_predictions_download_holds_every_row_and_its_prediction(on_project, tmp_path):
    import pandas as pd

    from engine import predict_frame, read_table

    st, ws, pid = on_project
    model_id = _trained(ws, pid)
    rows = pd.read_csv(MESSY).drop(columns="churned").sample(40, random_state=0)
    source = tmp_path / "to_score.csv"
    rows.to_csv(source, index=False)

    st.nav("Deploy")
    st.upload(re.compile(r"^Rows to score"), source)
    st.main.get_by_text("Scored 40 rows.").wait_for()
    with st.page.expect_download(timeout=60_000) as info:
        st.main.get_by_role("button", name="Download predictions (.csv)", exact=True).click()
    assert info.value.suggested_filename == f"predictions-{model_id}.csv"
    downloaded = tmp_path / info.value.suggested_filename
    info.value.save_as(downloaded)

    written = pd.read_csv(downloaded)
    pipeline, card = ws.load_model(model_id)
    expected = predict_frame(pipeline, read_table(source).frame, card["features"], card["task"])
    assert list(written.columns) == [*rows.columns, "prediction", "proba_no", "proba_yes"]
    assert len(written) == 40 and written["customer_id"].tolist() == rows["customer_id"].tolist()
    assert written["prediction"].tolist() == expected["prediction"].tolist()
    assert written["proba_yes"].to_numpy() == pytest.approx(expected["proba_yes"].to_numpy(), abs=1e-12)
    st.assert_no_exception("deploy predictions download")
    st.screenshot("item_13_predictions_download")


def test_item_13_sql_import_and_explore_tabs_show_the_querys_rows(start_server, open_page, tmp_path):
    """The SQL import brings exactly the query's rows, and every Explore tab shows numbers of those rows."""
    import sqlite3

    import pandas as pd

    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER, region TEXT, amount REAL, quantity INTEGER, returned INTEGER)")
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", [
            (i, ["north", "south", "east"][i % 3], None if i % 10 == 0 else 10.0 + (i * 7) % 50, (i * 37) % 101,
             int(i % 4 == 0)) for i in range(80)])
    query = "SELECT region, amount, quantity, returned FROM orders WHERE id >= 8"
    with sqlite3.connect(database) as conn:
        expected = pd.read_sql_query(query, conn)
    assert (len(expected), int(expected.isna().sum().sum())) == (72, 7)

    ws = Workspace(tmp_path / "home")
    pid = ws.create_project("Orders")["id"]
    st = open_page(start_server(ws.home, "coherence_sql.log").url, "coherence")
    st.goto(f"/?project={pid}")
    st.act(lambda: st.page.get_by_role("tab", name="Query a database").click(), grace=0.3)
    url = st.main.get_by_label("Database URL", exact=True)
    st.act(lambda: url.fill(f"sqlite:///{database}"))
    st.act(lambda: url.press("Enter"))
    box = st.main.get_by_label("Query (one read-only SELECT)", exact=True)
    st.act(lambda: box.fill(query))
    st.act(lambda: box.press("Control+Enter"))
    st.click("Import")
    st.main.get_by_role("heading", name="shop.db (sql)").wait_for()
    imported = ws.load_dataset(ws.get_project(pid)["dataset_id"])
    pd.testing.assert_frame_equal(imported.reset_index(drop=True), expected, check_dtype=False)
    st.screenshot("item_13_sql_imported")

    st.nav("Explore")
    st.wait_idle(timeout=60)  # Explore profiles the data on its first visit
    metrics = {m.locator('[data-testid="stMetricLabel"]').inner_text(): m.locator(
        '[data-testid="stMetricValue"]').inner_text() for m in st.main.locator('[data-testid="stMetric"]').all()}
    assert {k: metrics[k] for k in ("Rows", "Columns", "Missing cells", "Duplicate rows")} == {
        "Rows": "72", "Columns": "4", "Missing cells": "7", "Duplicate rows": str(int(expected.duplicated().sum()))}

    st.act(lambda: st.page.get_by_role("tab", name="Columns").click(), grace=0.3)
    [bars] = _plotly_traces(_chart_titled(st, re.compile(r"^region")))
    assert dict(zip(bars["x"], bars["y"], strict=True)) == expected["region"].value_counts().to_dict()

    st.act(lambda: st.page.get_by_role("tab", name="Missing values").click(), grace=0.3)
    [missing] = _plotly_traces(_chart_titled(st, "Missing values per column"))
    shares = dict(zip(missing["x"], missing["y"], strict=True))
    assert shares == {"region": 0, "amount": pytest.approx(100 * 7 / 72, abs=0.01), "quantity": 0, "returned": 0}

    st.act(lambda: st.page.get_by_role("tab", name="Correlations").click(), grace=0.3)
    [heatmap] = _plotly_traces(_chart_titled(st, re.compile(r"Pearson")))
    r = heatmap["z"][heatmap["y"].index("amount")][heatmap["x"].index("quantity")]
    assert r == round(expected["amount"].corr(expected["quantity"]), 2)  # the heatmap shows two decimals

    st.act(lambda: st.page.get_by_role("tab", name="Relationships").click(), grace=0.3)
    scatter = st.main.locator('[data-testid="stPlotlyChart"]').filter(visible=True).first
    points = sum(len(t["x"]) for t in _plotly_traces(scatter) if t["type"] == "scattergl")
    assert points == int(expected[["amount", "quantity"]].notna().all(axis=1).sum()) == 65
    st.assert_no_exception("explore tabs")
    st.screenshot("item_13_explore_relationships")


@pytest.mark.timeout(900)  # a real search on a loaded machine: a forest's trial and refit take minutes there
def test_item_13_second_cancel_click_stops_the_job_at_once(start_server, open_page, tmp_path):
    """A first Cancel stops the search and refits the best parameters found so far; the second ("Stop now, skip
    the refit") ends the job at once: no refit, no model of the search, the page says cancelled within seconds."""
    import time

    from optuna.trial import TrialState

    from bench.generate import mixed_frame
    from tests.e2e.helpers import nav_live
    from usecases import jobs, training, tuning

    ws = Workspace(tmp_path / "home")
    pid = ws.create_project("Slow search")["id"]
    projects.import_file(ws, pid, mixed_frame(20_000, seed=1).to_csv(index=False).encode(), "slow.csv")
    projects.set_problem(ws, pid, Problem("flag", "classification", "accuracy"))
    settings = {"models": ["random_forest"], "cv_folds": 2, "search": "grid", "pruner": "none"}
    job = training.start_training(ws, pid, settings)  # forests of 200 trees on 14,000 rows: a refit takes seconds
    try:
        deadline = time.monotonic() + 600
        while not any(t.state == TrialState.COMPLETE for s in tuning.job_studies(ws, job["id"]) for t in s.trials):
            assert time.monotonic() < deadline, ws.get_job(job["id"])["log"]
            time.sleep(0.5)  # the job's own study: a trial finished, so the first Cancel has parameters to refit

        st = open_page(start_server(ws.home, "coherence_cancel.log").url, "coherence")
        st.goto(f"/?project={pid}")
        nav_live(st, "Train", timeout=60)  # the Train page polls the running job every second: never idle
        cancel = st.main.get_by_role("button", name="Cancel training", exact=True)
        cancel.wait_for(timeout=60_000)
        act_live(st, cancel.click)
        stop_now = st.main.get_by_role("button", name="Stop now, skip the refit", exact=True)
        stop_now.wait_for(timeout=30_000)
        assert ws.get_job(job["id"])["status"] == "cancelling"  # the first click asked: the refit goes on
        st.screenshot("item_13_cancelling")

        clicked = time.monotonic()
        act_live(st, stop_now.click)
        progress = st.main.locator('[data-testid="stProgress"]')
        expect(progress).to_contain_text(f"Job {job['id']}: cancelled", timeout=30_000)
        stopped = ws.get_job(job["id"])
        assert time.monotonic() - clicked < 30
        assert (stopped["status"], stopped["message"]) == ("cancelled", "Cancelled; finished models are kept.")
        assert "random_forest" not in {m["family"] for m in ws.list_models(pid) if m["status"] == "ok"}  # no refit
        expect(st.main.get_by_role("button", name="Stop now, skip the refit", exact=True)).to_have_count(0)
        st.assert_no_exception("second cancel")
        st.screenshot("item_13_cancelled")
    finally:  # leave no worker behind, whatever failed
        for _ in range(2):
            jobs.cancel_job(ws, job["id"])
        stop_by = time.monotonic() + 60
        while jobs.is_worker_alive(ws.get_job(job["id"])["pid"], job["id"]) and time.monotonic() < stop_by:
            time.sleep(0.2)
