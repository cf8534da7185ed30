"""The rules that turn scores into the words, marks and colours a page shows.

Beats-the-baseline, the leaderboard's interval marks, which model to compare with the best, when two runs are
the same, the champion-versus-challenger sentence, and the one palette every verdict is coloured with. Pages
draw what these return; tests assert on them without a browser.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from engine import METRICS
from engine.evaluate.run_diff import SETUP_AREAS
from engine.monitor.drift_plots import VERDICT_COLORS as DRIFT_COLORS
from storage import Workspace
from usecases.comparison import mark_clear_differences

__all__ = ["VERDICT_PALETTE", "Shade", "Verdict", "baseline_verdict", "challenger_verdict", "interval_marks",
           "runner_up", "runs_identical"]

#: What ``versus_best`` says of a model scored on other validation rows than the best one (no comparison).
OTHER_ROWS = "other validation rows"


class Shade(NamedTuple):
    """A verdict's colour: ``hex`` for tables and charts, ``markdown`` for Streamlit's ``:colour[text]``."""

    hex: str
    markdown: str


#: Every verdict word a page colours. Drift and decay verdicts take the charts' colours (one source: the engine's
#: drift plots); a challenger compared with the champion is green when better, red when worse.
VERDICT_PALETTE: dict[str, Shade] = {
    "ok": Shade(DRIFT_COLORS["ok"], "green"),
    "warn": Shade(DRIFT_COLORS["warn"], "orange"),
    "alert": Shade(DRIFT_COLORS["alert"], "red"),
    "too few rows": Shade(DRIFT_COLORS["too few rows"], "gray"),
    "challenger better": Shade("#54a24b", "green"),
    "champion better": Shade("#e45756", "red"),
    "not clearly different": Shade("#8c8c8c", "gray"),
}


class Verdict(NamedTuple):
    """A sentence for the user and whether it is good news (a page shows it as success, else as a warning)."""

    text: str
    good: bool


def baseline_verdict(board: pd.DataFrame, model_id: int) -> Verdict | None:
    """Whether a model beats the baseline of its own run on validation; None for the baseline itself, a model
    that did not train, or a run without a baseline.

    ``board`` is ``evaluation.leaderboard``: one row per model with ``model``, ``run_id``, ``status``, ``metric``
    and ``validation``.
    """
    rows = board.set_index("model_id")
    if model_id not in rows.index or rows.loc[model_id, "status"] != "ok" or rows.loc[model_id, "model"] == "baseline":
        return None
    run_id = rows.loc[model_id, "run_id"]
    baseline = board[(board["model"] == "baseline") & (board["run_id"] == run_id) & (board["status"] == "ok")]
    if baseline.empty:
        return None
    metric = rows.loc[model_id, "metric"]
    score, reference = float(rows.loc[model_id, "validation"]), float(baseline["validation"].iloc[0])
    better = score > reference if METRICS[metric].greater_is_better else score < reference
    return Verdict(f"{'Beats' if better else 'Does not beat'} the baseline on validation {METRICS[metric].label} "
                   f"({score:.4f} vs {reference:.4f}).", better)


def interval_marks(ws: Workspace, board: pd.DataFrame, intervals: dict[int, tuple[float, float]]) -> pd.DataFrame:
    """``board`` with ``interval`` (each trained model's 95% interval as text) and ``versus_best`` (whether it
    overlaps the best model's interval, on the same validation rows) added."""
    text = ["{:.4f} – {:.4f}".format(*intervals[i]) if i in intervals else "" for i in board["model_id"]]
    return board.assign(interval=text, versus_best=mark_clear_differences(ws, board, intervals))


def runner_up(trained: pd.DataFrame) -> int:
    """The model to compare with the best one (the first row): the next one scored on the same validation rows,
    else simply the next one. ``trained`` is the leaderboard's trained models, best first, with two or more rows."""
    ids = trained["model_id"].tolist()
    marks = trained["versus_best"].tolist() if "versus_best" in trained else [""] * len(ids)
    return next((i for i, mark in zip(ids[1:], marks[1:], strict=True) if mark != OTHER_ROWS), ids[1])


def runs_identical(diff: pd.DataFrame) -> bool:
    """True when two runs differ in nothing the user set up (data, recipe, settings); ``diff`` is
    ``comparison.run_diff``. Results may still differ: that is what the comparison is for."""
    return not diff.loc[diff["changed"], "area"].isin(SETUP_AREAS).any()


def challenger_verdict(table: pd.DataFrame) -> Verdict:
    """The sentence under "champion vs challenger", from the main metric's row of the comparison (``a`` the
    champion, ``b`` the challenger); good news only when the challenger is clearly better."""
    main = table.iloc[0]
    return Verdict(f"On {main['label']}: champion {main['a']:.4f}, challenger {main['b']:.4f}; challenger − champion "
                   f"{main['difference']:+.4f} (95% interval {main['low']:+.4f} to {main['high']:+.4f}): "
                   f"**{main['verdict']}**.", main["verdict"] == "challenger better")
