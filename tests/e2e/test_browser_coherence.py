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


def _chart_traces(st: StreamlitPage, title: str) -> list[dict]:
    """Name, mode and y values of each trace of the one plotly chart showing the text ``title``."""
    chart = st.main.locator('[data-testid="stPlotlyChart"]').filter(has_text=title)
    expect(chart).to_have_count(1)
    return chart.locator(".js-plotly-plot").evaluate(
        # the figure's arrays arrive base64-encoded in ``data``; plotly.js keeps them decoded in ``_fullData``
        "d => d._fullData.map(t => ({name: t.name, mode: t.mode, y: Array.from(t.y)}))")


def _train_now(ws: Workspace, pid: int, settings: dict, timeout: float = 600) -> None:
    """Start a training job with ``settings`` in a worker process, as the Start button does, and wait for its end."""
    import time

    from usecases import jobs, training  # imported here: the items' tests are appended by several hands

    job = training.start_training(ws, pid, settings)
    deadline = time.monotonic() + timeout
    while (job := jobs.refresh_job(ws, job["id"]))["status"] in jobs.ACTIVE:
        assert time.monotonic() < deadline, f"training job {job['id']} still {job['status']} after {timeout}s"
        time.sleep(0.5)
    assert job["status"] == "succeeded", job["log"]


def test_item_6_best_so_far_is_the_best_of_every_model(start_server, open_page, messy_project):
    # A per-family search: one study per model, one after the other. The chart's best may not fall when the
    # second model's study starts lower than the first's best: it is the best of every model on one clock.
    ws, pid = messy_project
    _train_now(ws, pid, {"models": ["decision_tree", "linear"], "cv_folds": 2, "search": "random", "n_trials": 4,
                         "automl": False, "pruner": "none"})
    st = open_page(start_server(ws.home, "coherence-item6.log").url, "coherence")
    st.goto(f"/?project={pid}")
    st.nav("Train")
    traces = _chart_traces(st, "Best Accuracy so far: ")
    families = {t["name"]: t["y"] for t in traces if t["mode"] == "markers"}
    assert set(families) == {"Decision tree", "Logistic / linear regression"}  # one series per family
    best = [t["y"] for t in traces if t["name"] == "Best so far, any model"]
    assert len(best) == 1 and len(best[0]) == 8
    assert all(a <= b for a, b in zip(best[0], best[0][1:], strict=False)), best  # it never falls
    top = max(max(values) for values in families.values())
    assert best[0][-1] == pytest.approx(top)
    st.main.get_by_text(f"Best Accuracy so far: {top:.4f}").wait_for()
    st.assert_no_exception("train results")
    st.screenshot("item_6_best_so_far")


def test_item_7_every_chosen_family_gets_a_score_or_a_warning(start_server, open_page, tmp_path):
    # Four families in one AutoML study with the median pruner: each gets its cheap start point first and the
    # pruner spares a family's first trial, so each scores; random forest's fits all fail (a Poisson loss on a
    # target with negative values), so it has no model, and the results say so in a warning, not only in the log.
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    size = rng.normal(size=150).round(3)
    zone = rng.choice(["north", "south", "east"], 150)
    change = (2 * size + (zone == "north") + rng.normal(0, 0.3, 150)).round(3)
    data = tmp_path / "changes.csv"
    pd.DataFrame({"size": size, "zone": zone, "change": change}).to_csv(data, index=False)
    ws = Workspace(tmp_path / "home")
    pid = ws.create_project("Changes")["id"]
    projects.import_file(ws, pid, data.read_bytes(), data.name)
    projects.set_problem(ws, pid, Problem("change", "regression", "rmse"))
    chosen = {"linear": "Logistic / linear regression", "random_forest": "Random forest", "knn": "k-nearest neighbours",
              "extra_trees": "Extra trees"}
    _train_now(ws, pid, {"models": list(chosen), "cv_folds": 3, "search": "tpe", "automl": True, "pruner": "median",
                         "n_trials": 10, "ensemble": False, "losses": {"random_forest": "poisson"}})
    st = open_page(start_server(ws.home, "coherence-item7.log").url, "coherence")
    st.goto(f"/?project={pid}")
    st.nav("Train")
    warnings = st.main.locator('[data-testid="stAlertContentWarning"]')
    expect(warnings.filter(has_text="Random forest: no model.")).to_have_count(1)
    expect(warnings.filter(has_text="Random forest: no model.")).to_contain_text("ValueError")
    expect(warnings).to_have_count(1)  # every other chosen family has a model
    table = st.main.locator('[data-testid="stTable"]').filter(has_text="trials finished")
    for name, label in chosen.items():
        row = table.locator("tr").filter(has_text=label)
        expect(row).to_have_count(1)
        if name != "random_forest":
            expect(row).to_contain_text(re.compile(r"\d\.\d{4} ± \d\.\d{4}"))  # its cross-validated best
    st.assert_no_exception("train results")
    st.screenshot("item_7_family_warning")
