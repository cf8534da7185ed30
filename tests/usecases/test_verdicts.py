"""The rules behind the words and colours the pages show, on small hand-built tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from engine.monitor.drift import DriftReport, DriftThresholds
from engine.monitor.drift_plots import VERDICT_COLORS
from usecases import verdicts


def _board(metric: str, rows: list[tuple]) -> pd.DataFrame:
    """A leaderboard: (model_id, run_id, family, status, validation) per row, best first."""
    return pd.DataFrame([{"model_id": m, "run_id": r, "model": f, "status": s, "metric": metric, "validation": v}
                         for m, r, f, s, v in rows])


@pytest.mark.parametrize(("metric", "score", "good", "word"), [
    ("accuracy", 0.8, True, "Beats"), ("accuracy", 0.5, False, "Does not beat"),
    ("rmse", 3.0, True, "Beats"), ("rmse", 9.0, False, "Does not beat")], ids=["acc-up", "acc-down", "rmse-down",
                                                                              "rmse-up"])
def test_baseline_verdict_follows_the_metrics_direction(metric, score, good, word):
    reference = 0.6 if metric == "accuracy" else 5.0
    board = _board(metric, [(2, 1, "linear", "ok", score), (1, 1, "baseline", "ok", reference)])
    verdict = verdicts.baseline_verdict(board, 2)
    assert verdict.good is good
    assert verdict.text.startswith(f"{word} the baseline on validation ")
    assert verdict.text.endswith(f"({score:.4f} vs {reference:.4f}).")


def test_baseline_verdict_compares_within_the_models_own_run():
    board = _board("accuracy", [(4, 2, "linear", "ok", 0.7), (1, 1, "baseline", "ok", 0.9),
                                (3, 2, "baseline", "ok", 0.6), (5, 2, "forest", "failed", math.nan)])
    assert verdicts.baseline_verdict(board, 4).text.endswith("(0.7000 vs 0.6000).")
    assert verdicts.baseline_verdict(board, 3) is None  # the baseline itself
    assert verdicts.baseline_verdict(board, 5) is None  # not trained
    assert verdicts.baseline_verdict(board[board["model_id"] != 3], 4) is None  # no baseline in run 2


def test_runner_up_skips_models_scored_on_other_rows():
    trained = _board("accuracy", [(7, 2, "forest", "ok", 0.9), (3, 1, "linear", "ok", 0.85),
                                  (8, 2, "linear", "ok", 0.8)])
    assert verdicts.runner_up(trained.assign(versus_best=["best", "other validation rows", "clearly worse"])) == 8
    assert verdicts.runner_up(trained.assign(versus_best=["best"] + ["other validation rows"] * 2)) == 3
    assert verdicts.runner_up(trained) == 3  # no marks: simply the next one


def test_runs_identical_looks_only_at_what_the_user_set_up():
    diff = pd.DataFrame({"area": ["Data", "Models", "Settings"], "item": ["rows", "linear", "seed"],
                         "changed": [False, True, False]})
    assert verdicts.runs_identical(diff)
    assert not verdicts.runs_identical(diff.assign(changed=[False, True, True]))


def test_challenger_verdict_sentence():
    table = pd.DataFrame([{"label": "accuracy", "a": 0.8, "b": 0.85, "difference": 0.05, "low": 0.01,
                           "high": 0.09, "verdict": "challenger better"}])
    verdict = verdicts.challenger_verdict(table)
    assert verdict == ("On accuracy: champion 0.8000, challenger 0.8500; challenger − champion +0.0500 "
                       "(95% interval +0.0100 to +0.0900): **challenger better** (1 metric: challenger better on 1). "
                       "Recommended: promote the challenger, it is clearly better on accuracy.", True)
    assert not verdicts.challenger_verdict(table.assign(verdict="not clearly different")).good
    same = verdicts.challenger_verdict(pd.concat([table] * 2).assign(verdict="not clearly different"))
    assert "(2 metrics: not clearly different on all). Recommended: keep the champion" in same.text


def test_challenger_verdict_recommends_keeping_a_better_champion():
    """Issue 17 item 3: every metric says the champion is better, so promoting is not what the page proposes."""
    table = pd.DataFrame({"label": ["ROC-AUC", "accuracy", "log loss"], "a": [0.84, 0.8, 0.4], "b": [0.7, 0.7, 0.6],
                          "difference": [-0.14, -0.1, 0.2], "low": [-0.2, -0.15, 0.1], "high": [-0.08, -0.05, 0.3],
                          "verdict": ["champion better", "champion better", "not clearly different"]})
    verdict = verdicts.challenger_verdict(table)
    assert not verdict.good
    assert verdict.text.endswith("**champion better** (3 metrics: champion better on 2, not clearly different on "
                                 "1). Recommended: keep the champion, it is clearly better on ROC-AUC.")


def _report(verdicts_, prediction, overall) -> DriftReport:
    """A report of features with these verdicts (PSI aside) and the predictions' verdict, judged ``overall``."""
    features = pd.DataFrame({"name": [f"f{i}" for i in range(len(verdicts_))], "verdict": verdicts_,
                             "psi": [0.1] * len(verdicts_)})
    judged = [v for v in verdicts_ if v != "too few rows"]
    share = sum(v == "alert" for v in judged) / len(judged) if judged else 0.0
    return DriftReport(features, prediction and {"verdict": prediction}, [], share, overall, 500, DriftThresholds())


@pytest.mark.parametrize(("features", "prediction", "level", "text"), [
    (["ok"] * 13, "warn", "warn", "Some drift in the model's predictions: their distribution moved a little. "
                                  "Features: 0 of 13 drifted. 500 rows."),
    (["alert"] + ["ok"] * 12, "alert", "alert",
     "Drift alert from the model's predictions: their distribution moved. Features: 1 of 13 features drifted (8%), "
     "below the 30% that alerts on features. 500 rows."),
    (["alert"] * 4 + ["warn"] + ["ok"] * 5, "ok", "alert",
     "Drift alert: 4 of 10 features drifted (40%), at or above the 30% that alerts, 1 to watch. 500 rows."),
    (["alert"] + ["ok"] * 9, "warn", "warn",
     "Some drift: 1 of 10 features drifted (10%), below the 30% that alerts; the model's predictions moved too. "
     "500 rows."),
    (["ok"] * 3, "ok", "ok", "No drift: 0 of 3 features drifted, the model's predictions as in training. 500 rows."),
    (["ok"] * 3, None, "ok", "No drift: 0 of 3 features drifted. 500 rows."),
], ids=["predictions-warn", "predictions-alert", "features-alert", "features-warn", "ok", "ok-no-predictions"])
def test_drift_headline_says_what_raised_it(features, prediction, level, text):
    """Issue 17 item 5: a warn or alert raised by the predictions says so, and never contradicts its numbers."""
    assert verdicts.drift_headline(_report(features, prediction, level)) == (level, text)


def test_one_palette_colours_drift_and_comparison_verdicts():
    assert {word: shade.hex for word, shade in verdicts.VERDICT_PALETTE.items() if word in VERDICT_COLORS} == \
        VERDICT_COLORS  # the same colours as the drift charts
    assert verdicts.VERDICT_PALETTE["challenger better"].hex == verdicts.VERDICT_PALETTE["ok"].hex
    assert {shade.markdown for shade in verdicts.VERDICT_PALETTE.values()} <= {"green", "orange", "red", "gray"}
