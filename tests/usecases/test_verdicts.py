"""The rules behind the words and colours the pages show, on small hand-built tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

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
                       "(95% interval +0.0100 to +0.0900): **challenger better**.", True)
    assert not verdicts.challenger_verdict(table.assign(verdict="not clearly different")).good


def test_one_palette_colours_drift_and_comparison_verdicts():
    assert {word: shade.hex for word, shade in verdicts.VERDICT_PALETTE.items() if word in VERDICT_COLORS} == \
        VERDICT_COLORS  # the same colours as the drift charts
    assert verdicts.VERDICT_PALETTE["challenger better"].hex == verdicts.VERDICT_PALETTE["ok"].hex
    assert {shade.markdown for shade in verdicts.VERDICT_PALETTE.values()} <= {"green", "orange", "red", "gray"}
