"""Evaluation use cases: the leaderboard, the champion, the one-time final test report, and what the Evaluate
page shows of one model: scores with bootstrap intervals, curves' inputs, the decision threshold, and
explanations (permutation importance, partial dependence, learning curve) on the run's own rows.

A binary model's decision threshold is kept on its model row (``decision_threshold``); ``model_threshold``
reads it back. It is the one threshold every number here is decided at: the validation predictions
(``validation_predictions``, so every score, interval, per-class report, confusion matrix and comparison), the
leaderboard's validation column and the final test report; without one a two-class model predicts the most
probable class (P >= 0.5). Only ``threshold_report`` looks at other thresholds, from the probabilities.

The champion is only ever chosen by the analyst: ``proposed_champion`` proposes the latest run's winner (the model
its training chose and Train named), ``set_champion`` makes it so. Until then the pages that need a champion open
on that proposed model (``opening_model``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from engine import METRICS, Problem, compute_metrics, evaluate, model_label
from engine.deploy.export import with_threshold
from engine.deploy.predict import probability_frame
from engine.errors import ModelError
from engine.evaluate.conformal import PredictionInterval, conformal_interval
from engine.evaluate.explain import (
    LearningCurve,
    PartialDependence,
    importance_table,
    learning_curve_info,
    partial_dependence_info,
)
from engine.evaluate.metrics import metric_interval, per_class_report, threshold_table
from engine.evaluate.plots import Reliability, reliability_info
from engine.train.calibration import prior_log_loss
from engine.train.training import chosen_by_cv
from storage import Workspace, now, read_card
from usecases import registry
from usecases.runs import prepare_run, run_inputs, stored_run

__all__ = [
    "CalibrationReport",
    "ModelRows",
    "Proposal",
    "calibration_report",
    "class_report",
    "champion_origin",
    "cv_fold_scores",
    "final_test_report",
    "latest_run",
    "leaderboard",
    "learning_curve",
    "model_rows",
    "model_threshold",
    "numeric_columns",
    "opening_model",
    "partial_dependence",
    "permutation_importance",
    "prediction_interval",
    "proposed_champion",
    "score_table",
    "set_champion",
    "set_threshold",
    "threshold_report",
    "validation_interval",
    "validation_predictions",
]


def leaderboard(ws: Workspace, project_id: int, run_id: int | None = None) -> pd.DataFrame:
    """One row per trained model of run ``run_id`` (None: every run), best validation score first (by the project's
    metric).

    Every run trains its own baseline; over every run only the latest run's baseline is listed, so it shows once.
    ``validation`` is scored at the model's decision threshold (``threshold``: the saved one, 0.5 for a two-class
    model without one, NaN where none applies).
    """
    project = ws.get_project(project_id)
    runs = {r["id"]: r for r in ws.list_runs(project_id)}
    models = [m for m in ws.list_models(project_id) if run_id is None or m["run_id"] == run_id]
    baselines = [m["run_id"] for m in models if m["family"] == "baseline"]
    rows = []
    for model in models:
        if model["family"] == "baseline" and model["run_id"] != max(baselines):
            continue
        run = runs.get(model["run_id"], {})
        metric = (run.get("problem") or {}).get("metric") or (project["problem"] or {}).get("metric")
        scores = model["cv_scores"] or []
        valid, threshold = _validation_scores(ws, model)
        rows.append({
            "model_id": model["id"], "run_id": model["run_id"], "model": model["family"],
            "status": model["status"], "metric": metric,
            "validation": valid.get(metric, np.nan), "threshold": threshold,
            "cv_mean": float(np.mean(scores)) if scores else np.nan,
            "cv_std": float(np.std(scores)) if scores else np.nan,
            "test": (model["test_metrics"] or {}).get(metric, np.nan),
            "fit_seconds": model["fit_seconds"], "champion": model["id"] == project["champion_model_id"],
            "error": model["error"] or "",
        })
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    metric = table["metric"].dropna().iloc[0] if table["metric"].notna().any() else None
    ascending = metric is not None and not METRICS[metric].greater_is_better
    table = table.sort_values(["validation", "model_id"], ascending=[ascending, True], na_position="last")
    return table.reset_index(drop=True)


def _validation_scores(ws: Workspace, model: dict) -> tuple[dict, float]:
    """A model's validation metrics at its decision threshold, and that threshold (NaN where none applies).

    Training stored them at 0.5; a model with a saved threshold is scored again from its validation predictions,
    once per model file and threshold (``_THRESHOLDED``): every leaderboard (several on each run of the Evaluate,
    Deploy and Monitor pages) would otherwise read them and score them again.
    """
    stored = model["valid_metrics"] or {}
    if "roc_auc" not in stored:  # no two-class probabilities: the most probable class, no threshold
        return stored, np.nan
    threshold = model["decision_threshold"]
    if threshold is None or model["status"] != "ok":
        return stored, 0.5
    key = (str(ws.home), model["id"], model["sha256"], threshold)
    if key not in _THRESHOLDED:
        task, _ = _task(ws, model)
        predictions, classes = validation_predictions(ws, model["id"])
        _THRESHOLDED[key] = compute_metrics(task, predictions["y_true"], predictions["y_pred"],
                                            _proba(predictions, classes), classes)
    return {**stored, **_THRESHOLDED[key]}, threshold


#: (workspace, model id, model sha256, threshold) -> validation metrics at that threshold. The model file's sha256
#: fixes its validation predictions (training rewrites both together), so an entry never goes stale.
_THRESHOLDED: dict[tuple, dict] = {}


def latest_run(board: pd.DataFrame) -> int | None:
    """The newest run with a trained model on a leaderboard, or None."""
    trained = board[board["status"] == "ok"] if not board.empty else board
    return None if trained.empty else int(trained["run_id"].max())


class Proposal(NamedTuple):
    """The champion the workbench suggests (the analyst confirms it) and why, in a sentence."""

    model_id: int
    text: str


def proposed_champion(ws: Workspace, project_id: int, board: pd.DataFrame | None = None) -> Proposal | None:
    """The latest run's winner, when there is no champion or it beats the champion; else None.

    The winner is the model the run's training chose and named on Train (the run's ``winner_model_id``: the best
    mean cross-validated score when every trained model has one, ensembles included, else the best validation
    score); it is compared with the champion on that same score (the champion's validation score when it has no
    cross-validated one). A run stored before runs kept their winner proposes its best trained model on validation
    (on a tie, not the baseline). Nothing is chosen here: the page shows the sentence and the analyst confirms
    with ``set_champion``. ``board``: the project's ``leaderboard`` when the caller holds it already.
    """
    board = leaderboard(ws, project_id) if board is None else board
    run_id = latest_run(board)
    if run_id is None:
        return None
    trained = board[(board["status"] == "ok") & (board["run_id"] == run_id)]
    best, by_cv = _run_winner(ws, project_id, run_id, trained)
    metric_name = trained["metric"].iloc[0]
    metric, model = METRICS[metric_name], ws.get_model(best)
    score, why = _winner_score(ws, model, metric_name, by_cv)
    text = f"#{best} {model_label(model['family'])} is the best model of the latest run (run #{run_id}): {why}."
    champion = ws.get_project(project_id)["champion_model_id"]
    if champion is None:
        return Proposal(best, f"No champion yet. {text}")
    current = ws.get_model(champion)
    if by_cv and len(current["cv_scores"] or []) < 2:  # no cross-validated score to set beside the winner's
        by_cv, score = False, _validation_scores(ws, model)[0].get(metric_name, np.nan)
    against = (float(np.mean(current["cv_scores"])) if by_cv
               else _validation_scores(ws, current)[0].get(metric_name, np.nan))
    better = score > against if metric.greater_is_better else score < against
    if best == champion or not (better or np.isnan(against)):
        return None
    rows = "the same run's" if current["run_id"] == run_id else f"its own run's (#{current['run_id']})"
    scored = (f"{against:.4f} ± {float(np.std(current['cv_scores'])):.4f} cross-validated on {rows} folds" if by_cv
              else f"{against:.4f} on {rows} validation rows")
    return Proposal(best, f"{text} The champion, #{champion} {model_label(current['family'])}, scores {scored}.")


def _run_winner(ws: Workspace, project_id: int, run_id: int, trained: pd.DataFrame) -> tuple[int, bool]:
    """The model a run chose and whether it chose by the mean cross-validated score (else by validation).

    The run's stored winner, chosen by ``engine.train.training.best_candidate``, which ranked by the mean
    cross-validated score when ``chosen_by_cv`` said so (every trained model has two folds or more). A run stored
    before runs kept their winner: its best on validation. Either way a model that learned goes before the
    baseline it ties with: the baseline is the yardstick, not a model to deploy.
    """
    metric = trained["metric"].iloc[0]
    winner = ws.get_run(run_id)["winner_model_id"]
    if winner in set(trained["model_id"]):
        scored = [m for m in ws.list_models(project_id, run_id)
                  if m["status"] == "ok" and metric in (m["valid_metrics"] or {})]
        by_cv = chosen_by_cv([m["cv_scores"] for m in scored])
        scores = {m["id"]: float(np.mean(m["cv_scores"])) if by_cv else m["valid_metrics"][metric] for m in scored}
    else:
        winner, by_cv = trained["model_id"].iloc[0], False
        scores = dict(zip(trained["model_id"], trained["validation"], strict=True))
    families = dict(zip(trained["model_id"], trained["model"], strict=True))
    if families[winner] == "baseline":
        tied = [i for i in trained["model_id"] if families[i] != "baseline" and i in scores
                and scores[i] == scores.get(winner)]
        winner = tied[0] if tied else winner
    return int(winner), by_cv


def _winner_score(ws: Workspace, model: dict, metric: str, by_cv: bool) -> tuple[float, str]:
    """A run's winner's score on what it was chosen by, and that in words ("the best cross-validated ROC-AUC,
    0.8712 ± 0.0213 over 5 folds (validation 0.8534)")."""
    label, valid = METRICS[metric].label, _validation_scores(ws, model)[0].get(metric, np.nan)
    if not by_cv:
        return valid, f"validation {label} {valid:.4f}"
    scores = model["cv_scores"]
    mean = float(np.mean(scores))
    return mean, (f"the best cross-validated {label}, {mean:.4f} ± {float(np.std(scores)):.4f} over "
                  f"{len(scores)} folds (validation {valid:.4f})")


def opening_model(ws: Workspace, project_id: int, board: pd.DataFrame | None = None) -> int | None:
    """The model Deploy and Monitor open on: the champion, else the model Evaluate proposes (``proposed_champion``;
    ``board``: the project's ``leaderboard`` when the caller holds it already); None without a trained model."""
    champion = ws.get_project(project_id)["champion_model_id"]
    if champion is not None:
        return champion
    proposal = proposed_champion(ws, project_id, board)
    return None if proposal is None else proposal.model_id


def set_champion(ws: Workspace, project_id: int, model_id: int) -> dict:
    """Make ``model_id`` the project's champion (the model deployed and tested), through the registry."""
    return registry.promote(ws, project_id, model_id)


def final_test_report(ws: Workspace, model_id: int) -> dict:
    """Score a model on its run's test split, once; later calls return the stored result.

    The split is recomputed from the run's stored dataset, recipe and seed (same data, same
    recipe, same seed: same rows), so the test rows are never stored or seen before.
    """
    model = ws.get_model(model_id)
    if model["test_metrics"]:
        return model["test_metrics"]
    run = ws.get_run(model["run_id"])
    if not run["split"].get("test"):
        raise ModelError("This run kept no test split (test share 0); there is no final test to report.")
    stored = prepare_run(run_inputs(ws, run))
    pipeline, card = ws.load_model(model_id)
    X = stored.data.rows.iloc[stored.split.test][[f["name"] for f in card["features"]]]
    threshold = model["decision_threshold"]  # the test scores are decided as the model decides
    metrics, _ = evaluate(with_threshold(pipeline, threshold), X, stored.data.y.iloc[stored.split.test],
                          stored.inputs.problem.task)
    metrics = {**metrics, "rows": int(len(stored.split.test)), "scored_at": now(), "decision_threshold": threshold}
    ws.update_model(model_id, test_metrics=metrics)
    return metrics


def champion_origin(ws: Workspace, project_id: int) -> str | None:
    """A sentence when the champion is still the one a project's first training run set by itself (its best model
    on validation; older versions of the workbench did, history reason "first"), so the page says the analyst did
    not choose it; None once the analyst chose one, or with no champion."""
    champion = ws.get_project(project_id)["champion_model_id"]
    history = [h for h in ws.champion_history(project_id) if h["model_id"] == champion]
    if champion is None or not history or history[-1]["reason"] != "first":
        return None
    model = ws.get_model(champion)
    return (f"#{champion} {model_label(model['family'])} was made the champion automatically when run "
            f"#{model['run_id']} finished (its best model on validation), not by you.")


# -- one model's validation results -------------------------------------------------------------------

def validation_predictions(ws: Workspace, model_id: int) -> tuple[pd.DataFrame, list[str] | None]:
    """The validation predictions saved with a model, and its classes in probability-column order (or None).

    ``y_pred`` is decided at the model's saved decision threshold (a two-class model without one: the most
    probable class, as trained).
    """
    predictions = ws.load_predictions(model_id)
    classes = [c.removeprefix("proba_") for c in predictions.columns if c.startswith("proba_")]
    threshold = model_threshold(ws, model_id)
    if threshold is not None and len(classes) == 2:
        # the labels as stored (e.g. the integers 0 and 1), not the column names' text
        stored = {str(v): v for v in pd.concat([predictions["y_true"], predictions["y_pred"]]).unique()}
        labels = [stored.get(c, c) for c in classes]
        decided = probability_frame(_proba(predictions, classes), np.array(labels, dtype=object), threshold)
        predictions = predictions.assign(y_pred=decided["prediction"].to_numpy())
    return predictions, (classes or None)


def _task(ws: Workspace, model: dict) -> tuple[str, str]:
    problem = ws.get_run(model["run_id"])["problem"]
    return problem["task"], problem["metric"]


def _proba(predictions: pd.DataFrame, classes: list[str] | None):
    return None if classes is None else predictions[[f"proba_{c}" for c in classes]].to_numpy(dtype=float)


def score_table(ws: Workspace, model_id: int, n_boot: int = 200) -> pd.DataFrame:
    """Every validation metric of a model with its bootstrap 95% interval; the project's metric first.

    Columns: metric, label, value, low, high, higher_is_better.
    """
    model = ws.get_model(model_id)
    task, main = _task(ws, model)
    predictions, classes = validation_predictions(ws, model_id)
    proba = _proba(predictions, classes)
    values = compute_metrics(task, predictions["y_true"], predictions["y_pred"], proba, classes)
    names = [main] * (main in values) + [m for m in METRICS if m in values and m != main]
    rows = []
    for name in names:
        low, high = metric_interval(name, predictions["y_true"], predictions["y_pred"], proba, classes, n_boot)
        rows.append({"metric": name, "label": METRICS[name].label, "value": values[name], "low": low,
                     "high": high, "higher_is_better": METRICS[name].greater_is_better})
    return pd.DataFrame(rows)


def validation_interval(ws: Workspace, model_id: int, metric: str, n_boot: int = 200) -> tuple[float, float]:
    """Bootstrap 95% interval of one validation metric of a model (for the leaderboard)."""
    predictions, classes = validation_predictions(ws, model_id)
    return metric_interval(metric, predictions["y_true"], predictions["y_pred"], _proba(predictions, classes),
                           classes, n_boot)


def prediction_interval(ws: Workspace, model_id: int, level: float = 0.9) -> PredictionInterval:
    """The split-conformal prediction interval of a regression model, from its validation residuals."""
    if _task(ws, ws.get_model(model_id))[0] != "regression":
        raise ModelError("Prediction intervals are for regression models; a classifier gives class probabilities.")
    predictions, _ = validation_predictions(ws, model_id)
    return conformal_interval(predictions["y_true"], predictions["y_pred"], level)


def class_report(ws: Workspace, model_id: int) -> pd.DataFrame:
    """Precision, recall, F1 and support of each class on the validation rows."""
    predictions, classes = validation_predictions(ws, model_id)
    labels = classes or sorted(set(predictions["y_true"].astype(str)) | set(predictions["y_pred"].astype(str)))
    return per_class_report(predictions["y_true"], predictions["y_pred"], labels)


def cv_fold_scores(ws: Workspace, project_id: int, run_id: int | None = None) -> pd.DataFrame:
    """One row per cross-validation fold of each trained model of a run (the latest by default).

    Columns: model_id, model (family), fold, score.
    """
    models = [m for m in ws.list_models(project_id) if m["status"] == "ok"]
    if run_id is None and models:
        run_id = max(m["run_id"] for m in models)
    rows = [{"model_id": m["id"], "model": m["family"], "fold": i + 1, "score": float(score)}
            for m in models if m["run_id"] == run_id for i, score in enumerate(m["cv_scores"] or [])]
    return pd.DataFrame(rows, columns=["model_id", "model", "fold", "score"])


# -- decision threshold ---------------------------------------------------------------------------------

def threshold_report(ws: Workspace, model_id: int) -> tuple[pd.DataFrame, str]:
    """The threshold table of a binary model's validation predictions, and its positive class."""
    predictions, classes = validation_predictions(ws, model_id)
    if _task(ws, ws.get_model(model_id))[0] != "classification" or classes is None or len(classes) != 2:
        raise ModelError("A decision threshold applies to two-class models that give probabilities only.")
    return threshold_table(predictions["y_true"], predictions[f"proba_{classes[1]}"], classes[1]), classes[1]


def set_threshold(ws: Workspace, model_id: int, threshold: float) -> float:
    """Keep ``threshold`` as the model's decision threshold: rows with P(positive class) >= it are positive."""
    threshold_report(ws, model_id)  # raises unless binary with probabilities
    if not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        raise ModelError(f"The decision threshold must be a number in (0, 1). Got {threshold!r} instead.")
    return ws.set_threshold(model_id, float(threshold))["decision_threshold"]


def model_threshold(ws: Workspace, model_id: int) -> float | None:
    """The decision threshold saved with a model, or None (then the positive class needs P >= 0.5)."""
    return ws.get_model(model_id)["decision_threshold"]


# -- explanations on the run's own rows -----------------------------------------------------------------

class ModelRows(NamedTuple):
    """A stored model with the raw rows of its run, split as in training."""

    pipeline: object
    card: dict
    problem: Problem
    X: pd.DataFrame
    y: pd.Series
    train: np.ndarray
    valid: np.ndarray


def model_rows(ws: Workspace, model_id: int) -> ModelRows:
    """Load a model and recompute its run's split from the stored dataset, recipe and seed."""
    model = ws.get_model(model_id)
    if model["status"] != "ok":
        raise ModelError(f"Model {model_id} was not trained ({model['status']}); pick a trained model.")
    run = stored_run(ws, model["run_id"])
    pipeline, card = ws.load_model(model_id)
    X = run.data.rows[[f["name"] for f in card["features"]]]
    return ModelRows(pipeline, card, run.inputs.problem, X, run.data.y, run.split.train, run.split.valid)


def numeric_columns(ws: Workspace, model_id: int) -> list[str]:
    """The model's raw input columns of kind numeric (the ones partial dependence can vary)."""
    model = ws.get_model(model_id)
    if model["status"] != "ok":
        return []
    # the card alone: no need to unpickle the model
    return [f["name"] for f in read_card(ws.model_dir(model_id))["features"] if f["kind"] == "numeric"]


def permutation_importance(ws: Workspace, model_id: int, seed: int = 0) -> pd.DataFrame:
    """Permutation importance of each raw column on (up to 2,000) validation rows, by the project's metric."""
    m = model_rows(ws, model_id)
    return importance_table(m.pipeline, m.X.iloc[m.valid], m.y.iloc[m.valid], m.problem.metric, seed=seed)


def partial_dependence(ws: Workspace, model_id: int, column: str, seed: int = 0) -> PartialDependence:
    """Mean prediction over (up to 500) validation rows with ``column`` set to each of 20 quantiles."""
    m = model_rows(ws, model_id)
    if column not in m.X.columns:
        raise ModelError(f"Model {model_id} does not use column '{column}'; pick one of its input columns.")
    return partial_dependence_info(m.pipeline, m.X.iloc[m.valid], column, m.problem.task, seed=seed)


def learning_curve(ws: Workspace, model_id: int, seed: int = 0, progress=None) -> LearningCurve:
    """Scores of fresh copies of the model's pipeline on growing shares of (up to 5,000) training rows;
    ``progress(done, folds)`` after each fold.

    The recipe's row steps (dedupe, outliers, re-sampling) are not replayed inside these folds.
    """
    m = model_rows(ws, model_id)
    return learning_curve_info(m.pipeline, m.X.iloc[m.train], m.y.iloc[m.train], m.problem.task,
                               m.problem.metric, seed=seed, progress=progress)


# -- calibration ------------------------------------------------------------------------------------------

class CalibrationReport(NamedTuple):
    """How far a classifier's validation probabilities can be trusted: its reliability diagram's data, its log loss
    and that of predicting the class shares (``prior_source`` says whose shares), and what training's check found
    (the card's ``calibration`` record; None for a model that was not a run's winner or predates the check)."""

    reliability: Reliability
    log_loss: float
    prior_log_loss: float
    prior_source: str
    check: dict | None


def calibration_report(ws: Workspace, model_id: int, n_bins: int = 10) -> CalibrationReport:
    """The calibration of a classifier on its validation rows, against the class shares of its training rows."""
    model = ws.get_model(model_id)
    if _task(ws, model)[0] != "classification":
        raise ModelError("Calibration is about class probabilities; a regression model has none.")
    predictions, classes = validation_predictions(ws, model_id)
    if classes is None:
        raise ModelError(f"Model {model_id} saved no class probabilities to check.")
    proba, y = _proba(predictions, classes), predictions["y_true"].astype(str).to_numpy()
    check = read_card(ws.model_dir(model_id)).get("calibration")
    shares = (check or {}).get("class_shares") or {}
    if set(shares) == set(classes):  # the training rows' shares, kept by training's check
        prior = np.array([shares[c] for c in classes])
        prior_loss, source = float(log_loss(y, np.tile(prior, (len(y), 1)), labels=classes)), "the training rows"
    else:
        prior_loss, source = prior_log_loss(y, classes)[0], "the validation rows"
    return CalibrationReport(reliability_info(y, proba, classes, n_bins),
                             float(log_loss(y, proba, labels=classes)), prior_loss, source, check)
