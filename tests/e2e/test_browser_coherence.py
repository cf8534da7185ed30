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
from usecases import evaluation, projects

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


# ---- item 1: one decision threshold; item 8: the latest run, the baseline once, a proposed champion;
# ---- item 10: the threshold slider reruns only its own part of the page


def _open_evaluate(start_server, open_page, ws, pid, shots: str, on_websocket=None) -> StreamlitPage:
    """The app open on Evaluate; the first runs import the libraries and score the bootstrap intervals, which
    takes a while on a busy machine. ``on_websocket`` sees the page's websockets from the start."""
    st = open_page(start_server(ws.home, f"{shots}.log").url, "coherence")
    if on_websocket is not None:
        st.page.on("websocket", on_websocket)
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
    grid = st.main.locator('[data-testid="stDataFrame"]').nth(index)
    columns = grid.locator('[role="columnheader"]').count()
    cells = grid.locator('[role="gridcell"]').all_inner_texts()
    return [cells[i:i + columns] for i in range(0, len(cells), columns)]


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
    from streamlit.proto.BackMsg_pb2 import BackMsg

    ws, pid = trained_churn
    model_id = ws.get_project(pid)["champion_model_id"]
    reruns: list[str] = []  # the fragment id of each rerun the browser asks for ("" for the whole page)

    def watch(socket) -> None:
        def sent(payload):
            try:
                msg = BackMsg.FromString(payload if isinstance(payload, bytes) else payload.encode())
            except Exception:  # noqa: BLE001 - not a protobuf frame
                return
            if msg.WhichOneof("type") == "rerun_script":
                reruns.append(msg.rerun_script.fragment_id)

        if "/_stcore/stream" in socket.url:
            socket.on("framesent", sent)

    st = _open_evaluate(start_server, open_page, ws, pid, "item_10", on_websocket=watch)
    st.main.get_by_role("tab", name="Threshold").click()
    table, _ = evaluation.threshold_report(ws, model_id)
    before = len(reruns)
    _move_slider(st, 5)  # 0.50 -> 0.55
    moved = reruns[before:]
    assert len(moved) == 5 and all(moved), moved  # each move reran the threshold fragment, not the page
    row = table.set_index("threshold").loc[0.55]
    metric = st.main.locator('[data-testid="stMetric"]').filter(has_text="precision at 0.55 (validation)")
    expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(f"{row['precision']:.3f}")
    recall = st.main.locator('[data-testid="stMetric"]').filter(has_text="recall at 0.55 (validation)")
    expect(recall.locator('[data-testid="stMetricValue"]')).to_have_text(f"{row['recall']:.3f}")
    assert ws.get_model(model_id)["decision_threshold"] is None  # a preview: nothing saved
    st.assert_no_exception("slider moved")
