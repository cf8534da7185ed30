"""The Evaluate page's tabs for one model: scores with intervals, plots, the threshold, explanations."""

from __future__ import annotations

import json

import pytest

from engine import METRICS
from tests.pages.helpers import assert_clean, open_page, rerun_until
from usecases import evaluation, projects
from usecases.training import run_training_job


def _label(ws, project) -> str:
    return METRICS[projects.project_problem(ws, project["id"]).metric].label


def _titles(at) -> list[str]:
    return [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]


def test_tabs_scores_and_plots_of_a_binary_model(ws, trained_project):
    at = open_page("evaluate", trained_project["id"])
    assert_clean(at)
    assert [t.label for t in at.tabs] == ["Scores", "Plots", "Threshold", "Explain"]
    board = at.dataframe[0].value
    low, high = (float(v) for v in board.loc[0, "interval"].split(" – "))
    assert low <= board.loc[0, "validation"] <= high
    scores = at.dataframe[1].value
    assert scores["label"].iloc[0] == _label(ws, trained_project)  # the project's metric first
    assert {"ROC-AUC", "PR-AUC (average precision)", "MCC (Matthews correlation)"} <= set(scores["label"])
    assert (scores["low"] <= scores["value"] + 1e-9).all() and (scores["value"] <= scores["high"] + 1e-9).all()
    assert set(at.dataframe[2].value["class"]) == {"yes", "no"}
    titles = _titles(at)
    for start in (f"Cross-validation {_label(ws, trained_project)} per fold",
                  "Confusion matrix (validation, row counts)", "ROC curve", "Precision-recall curve",
                  "Calibration", "Cumulative gain and lift", "Trade-off by decision threshold"):
        assert any(t.startswith(start) for t in titles), start
    at.toggle[0].set_value(True).run()
    assert "Confusion matrix (validation, share of each actual class)" in _titles(at)


def test_threshold_is_saved_with_the_model(ws, trained_project):
    champion = trained_project["champion_model_id"]
    at = open_page("evaluate", trained_project["id"])
    at.slider(key=f"evaluate_threshold_{champion}").set_value(0.3).run()
    assert_clean(at)
    at.button(key=f"evaluate_save_threshold_{champion}").click().run()
    assert_clean(at)
    assert evaluation.model_threshold(ws, champion) == 0.3
    assert any("Saved threshold: **0.3**" in c.value for c in at.caption)


def test_explanations_run_on_a_click_and_stay(ws, trained_project):
    champion = trained_project["champion_model_id"]
    at = open_page("evaluate", trained_project["id"])
    assert not any(t.startswith("Permutation importance") for t in _titles(at))
    at.button(key=f"evaluate_explain_button_{champion}").click().run()
    assert_clean(at)
    titles = _titles(at)
    assert any(t.startswith("Permutation importance") for t in titles)
    assert any(t.startswith("Partial dependence on") for t in titles)
    # why a few validation rows got their predictions: each important column's effect
    picker = at.selectbox(key=f"evaluate_row_{champion}")
    assert len(picker.options) == 5 and picker.options[0].startswith("Row ") and "P(yes) = " in picker.options[0]
    [effects] = [d.value for d in at.dataframe if "effect" in d.value.columns]
    assert len(effects) == 6 and effects["effect"].abs().is_monotonic_decreasing  # the 6 input columns (of at most 8)
    # the learning curve re-trains copies of the model in the background: the page shows its progress and polls
    curve_drawn = lambda: any(t.startswith("Learning curve (") for t in _titles(at))  # noqa: E731
    assert curve_drawn() or [p for p in at.get("progress") if "Learning curve: re-training" in p.proto.text]
    rerun_until(at, curve_drawn, 60, "the learning curve did not finish in 60 s")
    assert_clean(at)
    assert any(t.startswith(f"Learning curve ({_label(ws, trained_project)})") for t in _titles(at))
    column = at.selectbox(key=f"evaluate_pdp_{champion}").options[-1]
    at.selectbox(key=f"evaluate_pdp_{champion}").select(column).run()
    assert_clean(at)
    assert f"Partial dependence on {column}" in " ".join(_titles(at))


def test_verify_reproducibility_reports_a_match(ws, trained_project):
    at = open_page("evaluate", trained_project["id"])
    next(b for b in at.button if b.label == "Verify reproducibility").click().run()
    assert_clean(at)
    assert [s.value for s in at.success if s.value.startswith("Reproduced: all")]


@pytest.mark.slow
def test_a_regression_model_shows_its_prediction_interval(ws):
    from engine import Problem
    from usecases.training import run_training_job

    project = ws.create_project("Diabetes")
    projects.import_sample(ws, project["id"], "diabetes")
    projects.set_problem(ws, project["id"], Problem("progression", "regression", "rmse"))
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 0})
    run_training_job(ws, ws.create_job(project["id"], "train")["id"])
    at = open_page("evaluate", project["id"])
    assert_clean(at)
    assert [i.value for i in at.info if i.value.startswith("90% prediction interval: prediction ± ")]


def test_a_failed_learning_curve_says_why_and_is_tried_again(ws, trained_project, monkeypatch):
    from engine.errors import ModelError

    def fails(*args, **kwargs):
        raise ModelError("A class has only 2 row(s); a 3-fold learning curve needs 3.")

    works = evaluation.learning_curve
    monkeypatch.setattr(evaluation, "learning_curve", fails)
    champion = trained_project["champion_model_id"]
    at = open_page("evaluate", trained_project["id"])
    at.button(key=f"evaluate_explain_button_{champion}").click().run()
    rerun_until(at, lambda: any("3-fold learning curve" in e.value for e in at.error), 30,
                "the failed learning curve was never reported")
    assert_clean(at)  # the project's own error is a message, not a traceback
    monkeypatch.setattr(evaluation, "learning_curve", works)  # not undo(): that would drop the fixtures' patches
    # not cached: the next run tries again
    rerun_until(at, lambda: any(t.startswith("Learning curve (") for t in _titles(at)), 60,
                "the learning curve was not tried again")


def test_an_older_run_shows_its_own_baseline(ws, trained_project):
    """Every run trains its own baseline; the leaderboard over every run lists only the latest one, but choosing an
    older run must still show that run's baseline beside its models (it was dropped with the other runs' rows)."""
    pid = trained_project["id"]
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    first, latest = sorted({m["run_id"] for m in ws.list_models(pid)})
    at = open_page("evaluate", pid)
    assert set(at.dataframe[0].value["run_id"]) == {latest}  # the latest run opens
    at.selectbox(key="evaluate_run").select(first).run()
    assert_clean(at)
    board = at.dataframe[0].value
    assert set(board["run_id"]) == {first}
    assert "Baseline (majority class / mean)" in set(board["model"]), set(board["model"])
