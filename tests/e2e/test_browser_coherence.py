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


# ---- items 10-12: explanations off the page's critical path, small things a user sees, the first screen

STATISTICS_HEADERS_JS = "grid => [...grid.querySelectorAll('th')].map(th => th.textContent)"
REPORT_TABLES_JS = r"""
() => [...document.querySelectorAll('table')].map(t => {
  const box = t.parentElement.getBoundingClientRect(), table = t.getBoundingClientRect();
  return {headers: [...t.querySelectorAll('th')].map(th => th.textContent), right: table.right, boxRight: box.right,
          pageWidth: document.documentElement.clientWidth};
})
"""


def test_item_11_statistics_report_and_lift_axis_read_at_a_glance(start_server, open_page, trained_churn, tmp_path):
    ws, pid = trained_churn
    st = open_page(start_server(ws.home, "coherence_11.log").url, "coherence")
    st.timeout = 90  # Explore profiles the table on its first visit
    st.goto(f"/explore?project={pid}")
    st.act(lambda: st.page.get_by_role("tab", name="Columns").click(), grace=0.3)
    grid = st.main.locator('[data-testid="stDataFrame"]').first
    grid.locator("th").first.wait_for(state="attached")
    # the grid renders the columns in view: the name and the key statistics, with no horizontal scrolling
    shown = grid.evaluate(STATISTICS_HEADERS_JS)
    assert {"column", "missing %", "distinct", "mean", "std", "min", "median", "max"} <= set(shown), shown
    expect(st.main.get_by_text("More statistics: quantiles, shape, top values")).to_be_visible()
    st.assert_no_exception("explore columns")
    st.screenshot("item_11_explore_columns", until=grid)

    # the HTML report: every table inside the page, the key statistics one inside its own box
    st.page.get_by_role("tab", name="Overview").click()
    with st.page.expect_download(timeout=60_000) as info:
        st.main.locator('[data-testid="stDownloadButton"] button').filter(has_text="Download the HTML report").click()
    report = tmp_path / "report.html"
    info.value.save_as(report)
    viewer = st.page.context.new_page()
    viewer.set_viewport_size({"width": 1280, "height": 900})
    viewer.goto(report.as_uri())
    tables = viewer.evaluate(REPORT_TABLES_JS)
    key = next(t for t in tables if "mean" in t["headers"])
    assert key["headers"][:2] == ["column", "kind"] and key["right"] <= key["boxRight"] <= key["pageWidth"], key
    assert all(t["boxRight"] <= t["pageWidth"] for t in tables)
    viewer.close()

    # the lift chart's right axis: round steps read as "1.5×"
    st.goto(f"/evaluate?project={pid}")
    st.act(lambda: st.page.get_by_role("tab", name="Plots").click(), grace=0.3)
    chart = st.main.locator('[data-testid="stPlotlyChart"]').filter(has_text="Cumulative gain and lift")
    chart.locator(".y2tick text").first.wait_for()
    ticks = chart.locator(".y2tick text").all_text_contents()
    values = [float(t.removesuffix("×")) for t in ticks]
    assert all(t.endswith("×") for t in ticks) and values[0] == 0, ticks
    steps = {round(b - a, 6) for a, b in zip(values, values[1:], strict=False)}
    assert len(steps) == 1 and steps <= {0.25, 0.5, 1.0, 2.0}, ticks
    st.assert_no_exception("evaluate plots")


def test_item_12_the_first_screen_is_a_start_page_with_a_sample_one_click_away(start_server, open_page, tmp_path):
    st = open_page(start_server(tmp_path / "fresh_home", "coherence_12.log").url, "coherence")
    st.timeout = 60
    st.goto("/")  # a fresh clone's first screen
    expect(st.main.locator("h1")).to_have_text("Start")
    expect(st.main).to_contain_text("Data → Explore → Prepare → Train → Evaluate → Deploy → Monitor")
    for what in ("Bring a table in", "Train and tune", "Watch new data drift"):
        expect(st.main.get_by_text(re.compile(what))).to_be_visible()
    st.assert_no_exception("start page")
    st.screenshot("item_12_start_fresh")

    st.click("Open the sample project")  # one click: a project with its data, target and recipe
    st.page.wait_for_url(re.compile(r"/data\?project=\d+"))
    st.main.get_by_role("heading", name="breast_cancer (sample)").wait_for()
    st.main.locator('[data-testid="stMetricValue"]').filter(has_text="569").wait_for()
    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Predict diagnosis").wait_for()
    expect(st.widget("stSelectbox", "Project", scope=st.sidebar).get_by_role("combobox")).to_have_value(
        "Breast cancer (sample)")

    st.nav("Train")  # and Train is one more click: nothing left to choose before starting
    expect(st.main.get_by_role("button", name="Start training", exact=True)).to_be_enabled()
    assert st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="first").count() == 0
    st.assert_no_exception("train of the sample")

    st.nav("Start")  # the recent projects say where each stands
    expect(st.main.get_by_text("Breast cancer (sample) (open)")).to_be_visible()
    expect(st.main.get_by_text(re.compile(r"Continue on Train"))).to_be_visible()
    st.screenshot("item_12_start_recent")


def test_item_10_explanations_complete_with_values(start_server, open_page, trained_churn):
    ws, pid = trained_churn
    st = open_page(start_server(ws.home, "coherence_10.log").url, "coherence")
    st.timeout = 60
    st.goto(f"/evaluate?project={pid}")
    st.page.get_by_role("tab", name="Explain").click()
    button = st.main.get_by_role("button", name="Compute explanations", exact=True)
    act_live(st, button.click, timeout=60)  # the learning curve's progress reruns a fragment: never quiet
    importance = st.main.locator('[data-testid="stPlotlyChart"]').filter(has_text="Permutation importance")
    expect(importance).to_contain_text("tenure_months", timeout=60_000)
    # why a few validation rows got their predictions: a row picker and each important column's effect
    picker = st.widget("stSelectbox", "Validation row").get_by_role("combobox")
    expect(picker).to_have_value(re.compile(r"^Row [\d,]+: P\(yes\) = 0\.\d{3} \(actual: (yes|no)\)$"))
    expect(st.main.get_by_text(re.compile(r"^P\(yes\) is 0\.\d{3} for this row, 0\.\d{3} on average"))).to_be_visible()
    effects = st.main.locator('[data-testid="stDataFrame"]').filter(has_text="effect on P(yes)")
    expect(effects.locator("th").filter(has_text="effect on P(yes)")).to_have_count(1)
    # the learning curve re-trains copies of the model in the background and is drawn when they are done
    curve = st.main.locator('[data-testid="stPlotlyChart"]').filter(has_text="Learning curve")
    curve.locator("svg.main-svg").first.wait_for(timeout=300_000)  # 15 fits; slow on a busy machine
    st.wait_idle(timeout=60)
    expect(curve).to_contain_text("held-out folds")
    assert st.main.locator('[data-testid="stProgress"]').count() == 0
    st.assert_no_exception("explanations")
    st.screenshot("item_10_explanations")
