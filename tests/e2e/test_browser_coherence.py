"""Issue 17, one browser test per numbered item: what the analyst sets holds everywhere, and nothing starts work
that the analyst did not ask for.

The project is made headlessly (the messy customers table, target ``churned``, a quick linear model), then driven
in headless Chromium. Screenshots land in test-artifacts/e2e/coherence/.
"""

from __future__ import annotations

import json
import re
import signal

import pandas as pd
import pytest
from playwright.sync_api import expect

from engine import Problem, load_sample, model_label, predict_frame
from storage import Workspace
from tests.e2e.helpers import ROOT, StreamlitPage, act_live, dataframe_rows, fill_number
from usecases import evaluation, monitor_labels, projects, registry, retraining
from usecases.training import run_training_job

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
    # Edit reruns the page: wait for that rerun (the default grace), or it closes the popup opened below
    st.act(lambda: row.get_by_text("Edit", exact=True).click())
    edit = row.locator('[data-testid="stForm"]')
    combo = st.widget("stSelectbox", "Fill with", edit).get_by_role("combobox")
    expect(combo).to_have_value("Median")
    st.select("Fill with", "Mean", scope=edit)
    st.click("Save step", scope=edit)
    expect(step_row(st, number)).to_contain_text("with the mean of the training rows")
    assert projects.project_recipe(ws, pid)["steps"][number - 1]["params"]["strategy"] == "mean"
    expect(st.main.get_by_text(re.compile(r"\bmedian\b.*training rows|filled with the median"))).to_have_count(0)
    st.assert_no_exception("prepare edit")
    st.screenshot("item_4_prepare_mean")


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
    chart = st.main.locator('[data-testid="stPlotlyChart"]').filter(has_text="Best Accuracy so far: ")
    expect(chart).to_have_count(1)
    traces = _plotly_traces(chart)
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


# ---- Monitor (items 2, 3 and 5): a churn model with new data, late labels and a retraining, made headlessly


def _loans(rows, first_id: int = 1):
    """``rows`` with a ``loan_id`` (1, 2, ...): an integer ID the training data does not have."""
    return rows.assign(loan_id=range(first_id, first_id + len(rows)))


def _arrive(ws, pid: int, frame, name: str, day: str) -> None:
    champion = ws.get_project(pid)["champion_model_id"]
    ws.add_batch(pid, frame.drop(columns="churned", errors="ignore"), source="upload", name=name, model_id=champion,
                 created_at=f"{day}T08:00:00.000+00:00")


def _monitor(st: StreamlitPage, pid: int) -> None:
    st.goto(f"/?project={pid}")
    st.nav("Monitor")
    st.main.get_by_role("heading", name="Drift", exact=True).wait_for()


def _plotly(st: StreamlitPage, title: str) -> list[dict]:
    """The traces (name, x, z) of the drawn plotly chart whose title contains ``title``."""
    return st.page.evaluate("""(title) => {
        const plot = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
            .find((p) => ((p.layout.title || {}).text || '').includes(title));
        const rows = (z) => z && Array.from(z, (r) => Array.from(r, (v) => (Number.isNaN(v) ? null : v)));
        return plot ? plot.data.map((t) => ({name: t.name || '', x: Array.from(t.x || []), z: rows(t.z)})) : null;
    }""", title)


def test_item_2_late_labels_join_on_a_numeric_key(start_server, open_page, trained_churn, tmp_path):
    ws, pid = trained_churn
    rows = load_sample("customer_churn").sample(150, random_state=4).reset_index(drop=True)
    _arrive(ws, pid, _loans(rows.head(100)), "loans.csv", "2026-06-01")
    _arrive(ws, pid, rows.tail(50), "scored-without-ids.csv", "2026-06-02")  # this batch lacks the ID column
    labels = tmp_path / "loan_labels.csv"
    pd.DataFrame({"loan_id": range(1, 121), "churned": ["no"] * 120}).to_csv(labels, index=False)
    wrong = tmp_path / "coded_labels.csv"
    pd.DataFrame({"loan_id": [f"L-{i}" for i in range(1, 6)], "churned": ["no"] * 5}).to_csv(wrong, index=False)

    st = open_page(start_server(ws.home, "coherence-item2.log").url, "coherence")
    _monitor(st, pid)
    st.main.get_by_role("heading", name="Late labels and performance").scroll_into_view_if_needed()
    combo = st.widget("stSelectbox", "Key column").get_by_role("combobox")
    combo.click()
    options = [o.strip() for o in st.page.get_by_role("option").all_inner_texts()]
    st.page.keyboard.press("Escape")
    assert options[:2] == ["customer_id", "loan_id"], options  # the identifiers first
    assert options.index("monthly_charges") > options.index("plan"), options  # a measurement is no key
    st.select("Key column", "loan_id")

    st.upload("Labels file (key + target)", wrong)
    error = st.main.locator('[data-testid="stAlertContentError"]').filter(has_text="None of the 5 labels")
    expect(error).to_contain_text("the labels' loan_id values are text (e.g. 'L-1', 'L-2', 'L-3'); the scored "
                                  "rows' are whole numbers (e.g. 1, 2, 3), missing in 50 of 150 rows")
    st.screenshot("item_2_no_match_says_why")

    st.upload("Labels file (key + target)", labels)
    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(
        has_text="Stored 120 labels from 'loan_labels.csv'").wait_for()
    st.main.locator('[data-testid="stAlertContentWarning"]').filter(
        has_text="20 of 120 labels match no scored row (their loan_id is unknown)").wait_for()
    assert st.main.locator('[data-testid="stAlertContentError"]').count() == 0
    st.main.get_by_text(re.compile(r"100 labelled rows in \d+ window")).first.wait_for()
    st.assert_no_exception("labels on a numeric key")
    st.screenshot("item_2_labels_joined")


def test_item_3_retrain_comparison_on_the_held_out_rows(start_server, open_page, trained_churn, monkeypatch):
    ws, pid = trained_churn
    champion = ws.get_project(pid)["champion_model_id"]
    new = _loans(load_sample("customer_churn").sample(100, random_state=8).reset_index(drop=True))
    _arrive(ws, pid, new.iloc[:60], "may.csv", "2026-05-01")
    _arrive(ws, pid, new.iloc[60:], "june.csv", "2026-06-01")
    monitor_labels.add_label_file(ws, champion, new[["loan_id", "churned"]].to_csv(index=False).encode(),
                                  "labels.csv", "loan_id")
    monkeypatch.setattr(retraining, "spawn_worker", lambda ws, job_id: 0)
    previous = signal.getsignal(signal.SIGTERM)  # the job installs its own SIGTERM handler
    try:
        run_training_job(ws, retraining.retrain(ws, pid, "reference+new")["id"])  # in this process: quick
    finally:
        signal.signal(signal.SIGTERM, previous)
    challenger = registry.challenger(ws, pid)

    st = open_page(start_server(ws.home, "coherence-item3.log").url, "coherence")
    _monitor(st, pid)
    st.main.get_by_role("heading", name="Retrain and promote").scroll_into_view_if_needed()
    heading = st.main.get_by_text(re.compile(rf"^Champion #{champion} .+ vs challenger #{challenger} "))
    heading.wait_for(timeout=60_000)
    # the rows compared on are the ones the versions table says were held out
    st.main.get_by_text("Both models scored on the 30 labelled new rows held out of the retraining (the "
                        "challenger was trained on the other 70 of 100): rows neither model was trained on").wait_for()
    versions = st.main.locator('[data-testid="stDataFrame"]').filter(
        has=st.page.locator("th").filter(has_text=re.compile("^stage$")))
    expect(versions).to_contain_text("retrain: reference + 70 of 100 new rows (30 held out)")
    assert st.main.get_by_text(re.compile("challenger run.s validation rows")).count() == 0

    # the primary button is the action the verdict recommends
    verdict = st.main.locator('[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentInfo"]').filter(
        has_text="Recommended:")
    promote = st.main.get_by_role("button", name=re.compile(rf"^Promote challenger #{challenger} "))
    kind = "primary" if "Recommended: promote the challenger" in verdict.inner_text() else "secondary"
    expect(promote).to_have_attribute("data-testid", f"stBaseButton-{kind}")
    st.screenshot("item_3_comparison", until=promote)

    # promotion and rollback each ask first
    st.act(promote.click)
    dialog = st.page.locator('[role="dialog"]')
    expect(dialog).to_contain_text(f"#{challenger}")
    st.screenshot("item_3_confirm_promotion")
    st.act(dialog.get_by_role("button", name="Cancel", exact=True).click)
    expect(dialog).to_have_count(0)
    assert ws.get_project(pid)["champion_model_id"] == champion
    st.act(promote.click)
    st.act(dialog.get_by_role("button", name=f"Promote #{challenger}", exact=True).click)
    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Promoted:").wait_for()
    assert ws.get_project(pid)["champion_model_id"] == challenger
    rollback = st.main.get_by_role("button", name=re.compile(r"^Roll back to the previous champion"))
    st.act(rollback.click)
    st.act(dialog.get_by_role("button", name=f"Roll back to #{champion}", exact=True).click)
    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Rolled back:").wait_for()
    assert ws.get_project(pid)["champion_model_id"] == champion
    st.assert_no_exception("promote and roll back")


def test_item_5_monitor_headlines_agree_with_their_numbers(start_server, open_page, trained_churn):
    ws, pid = trained_churn
    champion = ws.get_project(pid)["champion_model_id"]
    churn = load_sample("customer_churn")
    pipeline, card = ws.load_model(champion)
    predicted = predict_frame(pipeline, churn, card["features"], card["task"], 0.5)["prediction"]
    # the predictions move (far more predicted churners) while no feature drifts enough for an alert
    churners = pd.concat([churn[predicted == "yes"].sample(180, random_state=1),
                          churn[predicted == "no"].sample(220, random_state=1)])
    # plan drifted a little (a warn); monthly_charges' larger PSI is chance on 100 rows (ok)
    shifted = churn.drop(columns="churned").sample(100, random_state=0)
    shifted.iloc[:20, shifted.columns.get_loc("plan")] = "premium"
    rest = json.loads(churn.drop(columns="churned").head(4).to_json(orient="records"))
    ws.log_prediction(champion, inputs=rest, outputs={"predictions": ["no"] * 4}, ms=2.0, model_version="v1",
                      created_at="2026-05-01T09:00:00.000+00:00")  # a 4-row REST day: no verdict
    _arrive(ws, pid, churners, "churners.csv", "2026-06-01")
    _arrive(ws, pid, shifted, "plan.csv", "2026-06-02")

    st = open_page(start_server(ws.home, "coherence-item5.log").url, "coherence")
    _monitor(st, pid)
    # the newest batch: plan drifted; the chart opens on it, not on the feature with the largest PSI
    expect(st.widget("stSelectbox", "Distribution of").get_by_role("combobox")).to_have_value("plan")
    st.main.locator(".gtitle").filter(has_text="plan: reference vs current").wait_for()
    strip = _plotly(st, "Drift over time")
    assert [t["name"] for t in strip] == ["PSI", "too few rows"], strip
    column = next(i for i, label in enumerate(strip[0]["x"]) if label.endswith("REST"))
    assert all(row[column] is None for row in strip[0]["z"])  # no PSI colour on 4 rows
    assert all(row[column] == 1 for row in strip[1]["z"])  # grey instead
    st.main.get_by_text(re.compile(r"1 window\(s\) have fewer than 100 rows: they are grey")).wait_for()
    st.screenshot("item_5_worst_feature_and_grey_window")

    st.select("Check", next(o for o in _options(st, "Check") if o.startswith("#1 churners.csv")))
    banner = st.main.locator('[data-testid="stAlertContentError"], [data-testid="stAlertContentWarning"]').first
    expect(banner).to_contain_text("predictions")  # the predictions raised it, and the banner says so
    text = banner.inner_text()
    alerts = re.search(r"(\d+) of 6 features drifted \((\d+)%\)", text)
    assert alerts and int(alerts[2]) < 30 and "below the 30% that alerts" in text, text
    expect(st.widget("stSelectbox", "Distribution of").get_by_role("combobox")).to_have_value("tenure_months")
    st.assert_no_exception("drift headlines")
    st.screenshot("item_5_predictions_alert")


def _options(st: StreamlitPage, label: str) -> list[str]:
    combo = st.widget("stSelectbox", label).get_by_role("combobox")
    combo.click()
    options = [o.strip() for o in st.page.get_by_role("option").all_inner_texts()]
    st.page.keyboard.press("Escape")
    return options


# ---- item 1: one decision threshold; item 8: the latest run, the baseline once, a proposed champion;
# ---- item 10: the threshold slider reruns only its own part of the page


def _open_evaluate(start_server, open_page, ws, pid, shots: str) -> StreamlitPage:
    """The app open on Evaluate; the first runs import the libraries and score the bootstrap intervals, which
    takes a while on a busy machine."""
    st = open_page(start_server(ws.home, f"{shots}.log").url, "coherence")
    st.page.goto(f"{st.base_url}?project={pid}")
    st.page.wait_for_selector('[data-testid="stApp"]')
    st.wait_idle(timeout=120)
    link = st.page.locator('[data-testid="stSidebarNavLink"]').filter(has=st.page.get_by_text("Evaluate", exact=True))
    st.act(link.click, timeout=120)
    st.main.locator("h1").filter(has_text="Evaluate").wait_for()
    return st


def _move_slider(st: StreamlitPage, steps: int) -> None:
    """Move the threshold slider ``steps`` hundredths to the right, one key press (and one rerun) at a time."""
    slider = st.main.locator('[data-testid="stSlider"] [role="slider"], [data-testid="stSlider"] input[type="range"]')
    for _ in range(steps):
        slider.first.focus()
        st.act(lambda: st.page.keyboard.press("ArrowRight"))


def _grid(st: StreamlitPage, index: int) -> list[list[str]]:
    """The cells of the page's ``index``-th st.dataframe, row by row (its accessible table)."""
    return dataframe_rows(st.main.locator('[data-testid="stDataFrame"]').nth(index))


def test_item_1_the_saved_threshold_decides_scores_matrix_and_downloads(start_server, open_page, trained_churn,
                                                                        tmp_path):
    import joblib

    from engine import predict_frame

    ws, pid = trained_churn
    model_id = next(m["id"] for m in ws.list_models(pid) if m["family"] == "linear")  # the best, shown first
    st = _open_evaluate(start_server, open_page, ws, pid, "item_1")
    st.main.get_by_role("tab", name="Threshold").click()
    _move_slider(st, 20)  # 0.50 -> 0.70
    expect(st.main.locator('[data-testid="stSliderThumbValue"]')).to_have_text("0.70")
    st.click("Save threshold with the model", scope=st.main)
    assert ws.get_model(model_id)["decision_threshold"] == 0.7

    # the confusion matrix counts the classes decided at 0.7, not at 0.5
    stored = ws.load_predictions(model_id)
    actual, decided = stored["y_true"].astype(str), (stored["proba_yes"] >= 0.7).map({True: "yes", False: "no"})
    expected = [str(((actual == a) & (decided == p)).sum()) for a in ("no", "yes") for p in ("no", "yes")]
    at_half = [str(((actual == a) & (stored["y_pred"].astype(str) == p)).sum()) for a in ("no", "yes")
               for p in ("no", "yes")]
    assert expected != at_half
    st.main.get_by_role("tab", name="Plots").click()
    matrix = st.main.locator('[data-testid="stPlotlyChart"]').filter(has_text="Confusion matrix")
    expect(matrix.locator("svg text")).to_contain_text(expected)  # drawn once the tab shows
    assert matrix.locator("svg text").all_text_contents()[:4] == expected  # the cells first, row by row
    st.main.get_by_text(re.compile(r"counts the classes decided at the decision threshold 0\.70")).wait_for()
    st.main.get_by_text(re.compile(r"^Classes are decided at the decision threshold 0\.70 \(saved")).wait_for()
    # the Scores tab's accuracy is the one at 0.7
    st.main.get_by_role("tab", name="Scores").click()
    accuracy = next(row for row in _grid(st, 1) if row[0] == "Accuracy")[1]
    assert float(accuracy) == pytest.approx((actual == decided).mean(), abs=1e-4)
    st.screenshot("item_1_evaluate_saved_0.7")

    # the downloaded joblib file predicts what the app scores
    st.nav("Deploy")
    with st.page.expect_download(timeout=120_000) as info:
        st.main.get_by_role("button", name="Model (.joblib)", exact=True).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    rows = ws.load_dataset(ws.get_project(pid)["dataset_id"]).drop(columns=["churned"]).head(300)
    pipeline, card = ws.load_model(model_id)
    app = predict_frame(pipeline, rows, card["features"], card["task"], 0.7)["prediction"].astype(str)
    assert (joblib.load(path).predict(rows).astype(str) == app.to_numpy()).all()
    st.main.get_by_text(re.compile(r"Decision threshold 0\.7 \(set on Evaluate\): the joblib and skops")).wait_for()
    st.assert_no_exception("threshold saved, evaluate and deploy")


def test_item_8_latest_run_baseline_once_and_a_proposed_champion(start_server, open_page, trained_churn):
    from usecases.training import run_training_job

    ws, pid = trained_churn
    first_champion = next(m["id"] for m in ws.list_models(pid) if m["family"] == "baseline")
    evaluation.set_champion(ws, pid, first_champion)  # an older, worse champion
    projects.save_settings(ws, pid, {"models": ["linear", "random_forest"], "cv_folds": 0})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    latest = max(r["id"] for r in ws.list_runs(pid))
    assert ws.get_project(pid)["champion_model_id"] == first_champion  # the second run chose nothing

    st = _open_evaluate(start_server, open_page, ws, pid, "item_8")
    run = st.widget("stSelectbox", "Run", st.main).get_by_role("combobox")
    assert run.input_value() == f"Run #{latest} (latest)"
    board = _grid(st, 0)
    assert {row[1] for row in board} == {str(latest)}
    assert [row[2] for row in board].count("Baseline (majority class / mean)") == 1
    best = int(board[0][0])
    proposal = st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="best model of the latest run")
    expect(proposal).to_contain_text(f"#{best} ")
    assert ws.get_project(pid)["champion_model_id"] == first_champion  # proposed, not chosen
    st.screenshot("item_8_proposal")
    st.click(f"Make #{best} the champion", scope=st.main)
    assert ws.get_project(pid)["champion_model_id"] == best
    expect(st.main.get_by_role("button", name=f"Make #{best} the champion")).to_have_count(0)

    st.select("Run", "Every run (the latest baseline only)", scope=st.main)
    every = _grid(st, 0)
    assert {row[1] for row in every} == {str(r["id"]) for r in ws.list_runs(pid)}
    assert [row[2] for row in every].count("Baseline (majority class / mean)") == 1

    st.select("Run", f"Run #{latest} (latest)", scope=st.main)
    st.click("Score on the test split", scope=st.main, timeout=120)
    assert {"roc_auc", "accuracy", "log_loss", "f1_macro"} <= set(ws.get_model(best)["test_metrics"])
    test = st.main.locator('[data-testid="stDataFrame"]').filter(has_text="test (held-out rows)")
    expect(test).to_have_count(1)
    texts = test.locator('[role="gridcell"]').all_inner_texts()
    for label in ("ROC-AUC", "Accuracy", "Log loss", "F1 (macro)", "MCC (Matthews correlation)"):
        assert label in texts, texts
    st.assert_no_exception("evaluate over two runs")


def test_item_10_threshold_slider_reruns_only_its_fragment(start_server, open_page, trained_churn):
    ws, pid = trained_churn
    model_id = ws.get_project(pid)["champion_model_id"]
    st = _open_evaluate(start_server, open_page, ws, pid, "item_10")
    st.main.get_by_role("tab", name="Threshold").click()
    table, _ = evaluation.threshold_report(ws, model_id)
    before = len(st.reruns)
    _move_slider(st, 5)  # 0.50 -> 0.55
    moved = st.reruns[before:]
    assert len(moved) == 5 and all(moved), moved  # each move reran the threshold fragment, not the page
    row = table.set_index("threshold").loc[0.55]
    metric = st.main.locator('[data-testid="stMetric"]').filter(has_text="precision at 0.55 (validation)")
    expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(f"{row['precision']:.3f}")
    recall = st.main.locator('[data-testid="stMetric"]').filter(has_text="recall at 0.55 (validation)")
    expect(recall.locator('[data-testid="stMetricValue"]')).to_have_text(f"{row['recall']:.3f}")
    assert ws.get_model(model_id)["decision_threshold"] is None  # a preview: nothing saved
    st.assert_no_exception("slider moved")


# -- item 13: advertised features, checked on what the user sees ------------------------------------------------

def _plotly_traces(chart) -> list[dict]:
    """The traces a drawn plotly chart holds (name, type, mode, x, y, z), read from the browser's own figure."""
    chart.locator("svg.main-svg").first.wait_for()
    return chart.locator(".js-plotly-plot").evaluate(
        # the figure's arrays arrive base64-encoded in ``data``; plotly.js keeps them decoded in ``_fullData``
        "gd => gd._fullData.map(t => ({name: t.name, type: t.type, mode: t.mode ?? null, "
        "x: t.x ? Array.from(t.x) : null, y: t.y ? Array.from(t.y) : null, "
        "z: t.z ? Array.from(t.z, row => Array.from(row)) : null}))")


def _chart_titled(st: StreamlitPage, title: str | re.Pattern):
    """The shown plotly chart whose title matches ``title``; charts of hidden tabs do not count."""
    return st.main.locator('[data-testid="stPlotlyChart"]').filter(visible=True).filter(
        has=st.page.locator(".gtitle").filter(has_text=title)).first


def _trained(ws: Workspace, pid: int) -> int:
    """Train the project's quick linear model headlessly (the training path has its own browser tests) and confirm
    it as the champion, as on Evaluate; returns its id."""
    import signal

    from tests.champion import confirm_champion
    from usecases.training import run_training_job

    previous = signal.getsignal(signal.SIGTERM)  # the job installs its own SIGTERM handler
    try:
        job = ws.create_job(pid, "train")
        run_training_job(ws, job["id"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert ws.get_job(job["id"])["status"] == "succeeded", ws.get_job(job["id"])["message"]
    return confirm_champion(ws, pid)


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


def test_item_8_champion_is_confirmed_not_silent(start_server, open_page, messy_project):
    # A run chooses no champion: Start and Deploy say none is chosen and where to choose it, Evaluate proposes the
    # best model of the latest run, and one click on it makes the champion that Deploy and Start then show.
    ws, pid = messy_project
    _train_now(ws, pid, {"models": ["linear"], "cv_folds": 0})  # in a worker process, as the Start button does
    assert ws.get_project(pid)["champion_model_id"] is None and ws.champion_history(pid) == []
    best = next(m["id"] for m in ws.list_models(pid) if m["family"] == "linear")  # ties the baseline: proposed
    label = f"#{best} {model_label(ws.get_model(best)['family'])}"
    st = open_page(start_server(ws.home, "coherence_item8_champion.log").url, "coherence")
    st.timeout = 60
    st.goto(f"/?project={pid}")

    st.nav("Start")  # the recent projects: this one waits on Evaluate, for its champion
    expect(st.main.get_by_text("Messy customers (open)")).to_be_visible()
    expect(st.main.get_by_text("Continue on Evaluate")).to_be_visible()
    expect(st.main.get_by_text("2 trained models, no champion yet: choose one on Evaluate")).to_be_visible()

    st.nav("Deploy")
    notice = st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="No champion chosen yet")
    expect(notice).to_contain_text("the REST server that follows the champion and the shared report need one")
    server = st.main.locator('[data-testid="stExpander"]').filter(has_text="Serve the champion, whichever model it is")
    server.locator("summary").click()
    expect(server).to_contain_text("No champion chosen yet: choose one on Evaluate, then serve it here.")
    expect(server.get_by_role("button", name="Serve the champion", exact=True)).to_have_count(0)
    st.assert_no_exception("deploy without a champion")
    st.screenshot("item_8_deploy_no_champion")
    st.act(st.main.get_by_role("link", name="Choose the champion on Evaluate").first.click, timeout=120)
    st.main.locator("h1").filter(has_text="Evaluate").wait_for()

    proposal = st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="No champion yet.")
    expect(proposal).to_contain_text(f"{label} is the best model of the latest run")
    expect(st.main.get_by_text("was made the champion automatically")).to_have_count(0)
    assert ws.get_project(pid)["champion_model_id"] is None  # proposed, not chosen
    st.screenshot("item_8_evaluate_proposal")
    st.click(f"Make #{best} the champion", scope=st.main)
    assert ws.get_project(pid)["champion_model_id"] == best
    assert [(h["model_id"], h["reason"]) for h in ws.champion_history(pid)] == [(best, "promote")]
    expect(proposal).to_have_count(0)
    st.main.get_by_text(re.compile(r"^This is the champion\.")).wait_for()

    st.nav("Deploy")
    expect(st.widget("stSelectbox", "Model", st.main).get_by_role("combobox")).to_have_value(f"{label} (champion)")
    expect(st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="No champion chosen yet")
           ).to_have_count(0)
    server.locator("summary").click()
    expect(server.get_by_role("button", name="Serve the champion", exact=True)).to_have_count(1)
    st.assert_no_exception("deploy with the confirmed champion")
    st.screenshot("item_8_deploy_champion")

    st.nav("Start")
    expect(st.main.get_by_text(f"Champion {label}")).to_be_visible()
    expect(st.main.get_by_text("Continue on Deploy")).to_be_visible()


def test_item_8_train_evaluate_deploy_agree_on_the_winner(start_server, open_page, messy_project, tmp_path):
    # One model is THE model: Train names the run's winner (seed 1: the linear model leads over the 3 folds, the
    # forest on the 46 validation rows), Evaluate proposes that one, and Deploy and Monitor open on it, saying no
    # champion is confirmed yet; Deploy's model card gives the sha256 of the .joblib file downloaded beside it.
    import hashlib

    ws, pid = messy_project
    _train_now(ws, pid, {"models": ["linear", "random_forest"], "cv_folds": 3, "seed": 1})
    winner = ws.list_runs(pid)[0]["winner_model_id"]
    label = f"#{winner} {model_label(ws.get_model(winner)['family'])}"
    assert label.endswith("Logistic / linear regression")
    assert int(evaluation.leaderboard(ws, pid)["model_id"].iloc[0]) != winner  # the best on validation is not
    st = open_page(start_server(ws.home, "coherence_item8_winner.log").url, "coherence")
    st.timeout = 60
    st.goto(f"/?project={pid}")

    st.nav("Train")
    expect(st.main.locator('[data-testid="stProgress"]')).to_contain_text(
        "succeeded — Done: the winner is Logistic / linear regression")

    st.nav("Evaluate")
    proposal = st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="No champion yet.")
    expect(proposal).to_contain_text(f"{label} is the best model of the latest run")
    expect(proposal).to_contain_text("the best cross-validated Accuracy")
    expect(st.main.get_by_role("button", name=f"Make #{winner} the champion", exact=True)).to_have_count(1)
    expect(st.widget("stSelectbox", "Model", st.main).get_by_role("combobox")).to_have_value(label)
    st.assert_no_exception("evaluate proposes the winner")
    st.screenshot("item_8_winner_evaluate")

    for page in ("Deploy", "Monitor"):
        st.nav(page)
        notice = st.main.locator('[data-testid="stAlertContentInfo"]').filter(has_text="No champion chosen yet")
        expect(notice).to_contain_text(f"Shown meanwhile: {label}, the best model of the latest run, which Evaluate "
                                       "proposes: confirm it on Evaluate, or choose another.")
        expect(st.main.get_by_role("link", name="Choose the champion on Evaluate")).to_have_count(1)
        expect(st.widget("stSelectbox", "Model", st.main).get_by_role("combobox")).to_have_value(f"{label} (proposed)")
        st.assert_no_exception(f"{page} opens on the winner")
        st.screenshot(f"item_8_winner_{page.lower()}")

    evaluation.set_threshold(ws, winner, 0.7)  # as Evaluate's Threshold tab saves it
    st.nav("Deploy")
    files = {}
    for button, name in (("Model (.joblib)", "model.joblib"), ("Model card (.json)", "card.json")):
        with st.page.expect_download() as download:
            st.act(st.main.get_by_role("button", name=button, exact=True).click)
        download.value.save_as(tmp_path / name)
        files[name] = (tmp_path / name).read_bytes()
    card = json.loads(files["card.json"])
    assert card["decision_threshold"] == 0.7
    assert card["sha256"] == hashlib.sha256(files["model.joblib"]).hexdigest() != ws.get_model(winner)["sha256"]
    assert card["pipeline_sha256"] == ws.get_model(winner)["sha256"]
    expect(st.main.get_by_text(re.compile(rf"The \.joblib file's sha256 is {card['sha256'][:16]}…"))).to_have_count(1)
    st.assert_no_exception("deploy with a threshold")
    st.screenshot("item_8_winner_deploy_card")
