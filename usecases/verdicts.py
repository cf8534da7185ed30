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
from engine.monitor.drift import DriftReport
from engine.monitor.drift_plots import VERDICT_COLORS as DRIFT_COLORS
from storage import Workspace
from usecases.comparison import mark_clear_differences

__all__ = ["VERDICT_PALETTE", "Headline", "Shade", "Verdict", "baseline_verdict", "challenger_verdict",
           "drift_headline", "interval_marks", "runner_up", "runs_identical"]

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
    """The sentence under "champion vs challenger" and the action it recommends, from the main metric's row of
    the comparison (``a`` the champion, ``b`` the challenger) and a count over every metric; good news (promote)
    only when the challenger is clearly better on the main metric."""
    main = table.iloc[0]
    counts = table["verdict"].value_counts()
    tally = ", ".join(f"{word} on {int(counts[word])}" for word in ("challenger better", "champion better",
                                                                   "not clearly different") if counts.get(word))
    if len(counts) == 1:
        tally = f"{counts.index[0]} on all" if len(table) > 1 else tally
    good = main["verdict"] == "challenger better"
    if good:
        action = f"Recommended: promote the challenger, it is clearly better on {main['label']}."
    elif main["verdict"] == "champion better":
        action = f"Recommended: keep the champion, it is clearly better on {main['label']}."
    else:
        action = (f"Recommended: keep the champion, the challenger is not clearly better on {main['label']} (more "
                  "labelled rows would narrow the interval).")
    return Verdict(f"On {main['label']}: champion {main['a']:.4f}, challenger {main['b']:.4f}; challenger − champion "
                   f"{main['difference']:+.4f} (95% interval {main['low']:+.4f} to {main['high']:+.4f}): "
                   f"**{main['verdict']}** ({len(table)} metric{'s' if len(table) != 1 else ''}: {tally}). {action}",
                   good)


class Headline(NamedTuple):
    """A drift check's banner: ``level`` ("alert", "warn", "ok" or "too few rows") and its sentence."""

    level: str
    text: str


def drift_headline(report: DriftReport) -> Headline:
    """The banner of a drift check, saying what raised it: the features (how many drifted, against the share that
    alerts), the model's predictions, or both."""
    counts = report.features["verdict"].value_counts()
    alert, warn, total = int(counts.get("alert", 0)), int(counts.get("warn", 0)), len(report.features)
    rows, share_alert = f"{report.n_rows:,} rows", report.thresholds.share_alert
    if report.overall == "too few rows":
        return Headline(report.overall, f"{rows}: too few to judge drift (at least {report.thresholds.min_rows:,} "
                                         "needed; see the thresholds). The numbers below are shown for information, "
                                         "without an alert.")
    drifted = f"{alert} of {total} features drifted ({report.share_drifted:.0%})"
    watch = f", {warn} to watch" if warn else ""
    predicted = (report.prediction or {}).get("verdict")
    by_features = report.share_drifted >= share_alert
    if report.overall == "alert" and by_features:
        also = "; the model's predictions drifted too" if predicted == "alert" else ""
        return Headline("alert", f"Drift alert: {drifted}, at or above the {share_alert:.0%} that alerts{watch}"
                                 f"{also}. {rows}.")
    if report.overall == "alert":  # the predictions alone raised it
        return Headline("alert", f"Drift alert from the model's predictions: their distribution moved. Features: "
                                 f"{drifted}{watch}, below the {share_alert:.0%} that alerts on features. {rows}.")
    if report.overall == "warn" and not alert and not warn:
        return Headline("warn", f"Some drift in the model's predictions: their distribution moved a little. "
                                f"Features: 0 of {total} drifted. {rows}.")
    if report.overall == "warn":
        also = "; the model's predictions moved too" if predicted == "warn" else ""
        return Headline("warn", f"Some drift: {drifted}{watch}, below the {share_alert:.0%} that alerts{also}. "
                                f"{rows}.")
    steady = ", the model's predictions as in training" if predicted else ""
    return Headline("ok", f"No drift: 0 of {total} features drifted{steady}. {rows}.")
