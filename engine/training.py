"""Training: cross-validate and fit each chosen model family under an optional time budget.

Progress leaves through a ``progress(fraction, message)`` callback; a callback that raises
(e.g. because the user cancelled) stops training, and the exception propagates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

from engine.errors import RecipeError, TrainingError
from engine.metrics import METRICS, compute_metrics
from engine.models import MODELS, default_models, make_estimator, models_for_task
from engine.preprocessing import build_pipeline, feature_columns
from engine.problem import Problem
from engine.recipe import validate_recipe
from engine.rows import apply_row_steps
from engine.schema import ColumnInfo, convert_series
from engine.split import Split

__all__ = [
    "DEFAULT_SETTINGS",
    "Candidate",
    "TimeBudgetExceeded",
    "TrainingData",
    "TrainingFitter",
    "balanced",
    "best_candidate",
    "call_before",
    "cv_folds",
    "evaluate",
    "loss_params",
    "prepare_target",
    "refit",
    "train_candidates",
    "training_data",
    "validate_settings",
]

Progress = Callable[[float, str], None]
DEFAULT_SETTINGS = {"models": None, "cv_folds": 5, "seed": 42, "time_budget": None,
                    "search": "none", "n_trials": 20, "pruner": "median", "patience": None, "automl": False,
                    "ensemble": False, "losses": {}}
SEARCHES = ("none", "grid", "random", "tpe")
PRUNERS = ("none", "median", "halving")


class TimeBudgetExceeded(TrainingError):
    """The time budget ran out before this step finished."""


class Candidate(NamedTuple):
    """One model family's outcome: scores, the fitted pipeline, or why it failed."""

    model: str
    status: str  # "ok" | "failed" | "skipped"
    pipeline: object | None
    cv_scores: list[float]
    valid_metrics: dict[str, float]
    valid_predictions: pd.DataFrame | None
    fit_seconds: float
    error: str = ""
    tuning: dict | None = None  # the search behind it: trial number and parameters, or ensemble members


def validate_settings(settings: dict | None, task: str) -> dict:
    """Complete and check training settings: models, cv_folds, seed, time_budget."""
    out = {**DEFAULT_SETTINGS, **(settings or {})}
    unknown = sorted(set(out) - set(DEFAULT_SETTINGS))
    if unknown:
        raise RecipeError(f"Unknown training settings {unknown}; known ones are {sorted(DEFAULT_SETTINGS)}.")
    allowed = models_for_task(task)
    models = out["models"] or default_models(task)
    bad = [m for m in models if m not in allowed]
    if bad:
        raise RecipeError(f"Models {bad} cannot do {task}; choose from {allowed}.")
    if "baseline" not in models:
        models = ["baseline", *models]
    out["models"] = [m for m in MODELS if m in models]
    folds = out["cv_folds"]
    if not isinstance(folds, int) or not (folds == 0 or 2 <= folds <= 20):
        raise RecipeError(
            f"The 'cv_folds' parameter of train must be 0 (off) or an int in [2, 20]. Got {folds!r} instead."
        )
    if not isinstance(out["seed"], int) or isinstance(out["seed"], bool) or out["seed"] < 0:
        raise RecipeError(f"The 'seed' parameter of train must be a non-negative int. Got {out['seed']!r} instead.")
    _check_search(out)
    _check_losses(out, task)
    budget = out["time_budget"]
    if budget is not None and (not isinstance(budget, (int, float)) or budget <= 0):
        raise RecipeError(f"The 'time_budget' of train must be a positive number of seconds. Got {budget!r} instead.")
    return out


def _check_losses(settings: dict, task: str) -> None:
    losses = settings["losses"]
    if not isinstance(losses, dict):
        raise RecipeError(f"The 'losses' setting must map model names to a loss. Got {losses!r} instead.")
    for name, loss in losses.items():
        offered = MODELS[name].losses.get(task, ()) if name in MODELS else ()
        if loss not in offered:
            raise RecipeError(f"Model '{name}' offers the losses {list(offered)} for {task}. Got {loss!r} instead.")


def loss_params(settings: dict, name: str) -> dict:
    """The estimator parameters that carry the user's chosen loss for model ``name`` (none if not chosen)."""
    loss = settings.get("losses", {}).get(name)
    return {"loss": loss} if loss else {}


def _check_search(settings: dict) -> None:
    for key, allowed in (("search", SEARCHES), ("pruner", PRUNERS)):
        if settings[key] not in allowed:
            raise RecipeError(f"The '{key}' setting must be one of {list(allowed)}. Got {settings[key]!r} instead.")
    trials = settings["n_trials"]
    if not isinstance(trials, int) or isinstance(trials, bool) or not 1 <= trials <= 10_000:
        raise RecipeError(f"The 'n_trials' setting must be an int in [1, 10000]. Got {trials!r} instead.")
    patience = settings["patience"]
    if patience is not None and (not isinstance(patience, int) or isinstance(patience, bool) or patience < 1):
        raise RecipeError(f"The 'patience' setting must be a positive int or null. Got {patience!r} instead.")
    for key in ("automl", "ensemble"):
        if not isinstance(settings[key], bool):
            raise RecipeError(f"The '{key}' setting must be true or false. Got {settings[key]!r} instead.")
    if settings["search"] == "grid" and settings["automl"]:
        raise RecipeError("A grid search tunes each model family on its own grid; use random or TPE for AutoML.")


def prepare_target(frame: pd.DataFrame, problem: Problem) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a target value, and the target in the dtype the task needs."""
    keep = frame[problem.target].notna()
    rows = frame.loc[keep].reset_index(drop=True)
    y = rows[problem.target]
    if problem.task == "regression":
        y = pd.to_numeric(y, errors="coerce").astype(float)
    elif not (pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)):
        y = y.astype(str)
    return rows, y


def train_candidates(
    frame: pd.DataFrame,
    schema: list[ColumnInfo],
    problem: Problem,
    recipe: dict,
    settings: dict,
    split: Split,
    progress: Progress | None = None,
    on_candidate: Callable[[Candidate], None] | None = None,
    require_model: bool = True,
) -> list[Candidate]:
    """Cross-validate on train and score on validation each model family in ``settings``.

    ``split`` indexes the rows that have a target (see ``prepare_target``); ``on_candidate``
    receives each result as soon as it is ready, so finished work survives a cancel.
    """
    settings = validate_settings(settings, problem.task)
    recipe = validate_recipe(recipe)
    progress = progress or (lambda fraction, message: None)
    rows, y, features, X, fitter = training_data(frame, schema, problem, recipe)
    folds = cv_folds(rows.iloc[split.train], y.iloc[split.train], problem.task, recipe["split"], settings)
    deadline = None if settings["time_budget"] is None else time.monotonic() + settings["time_budget"]
    results: list[Candidate] = []
    models = settings["models"]
    for i, name in enumerate(models):
        progress(i / len(models), f"Training {MODELS[name].label} ({i + 1} of {len(models)})")
        estimator = make_estimator(name, problem.task, settings["seed"], loss_params(settings, name))
        estimator = balanced(estimator, recipe, problem.task)
        pipeline = build_pipeline(features, recipe, estimator, problem.task)
        results.append(_train_one(name, pipeline, X, y, problem, fitter, folds, split, deadline))
        if on_candidate is not None:
            on_candidate(results[-1])
    progress(1.0, "Training finished")
    if require_model and not any(c.status == "ok" and c.model != "baseline" for c in results):
        reasons = "; ".join(f"{c.model}: {c.error}" for c in results if c.error)
        raise TrainingError(f"No model could be trained ({reasons}).")
    return results


class TrainingData(NamedTuple):
    """What every fit of a run starts from: the rows with a target, the target, the feature columns,
    their raw values, and the fitter that applies the recipe's row steps."""

    rows: pd.DataFrame
    y: pd.Series
    features: list[ColumnInfo]
    X: pd.DataFrame
    fitter: TrainingFitter


def training_data(frame: pd.DataFrame, schema: list[ColumnInfo], problem: Problem, recipe: dict) -> TrainingData:
    """Rows, target, features and fitter of ``frame`` under ``recipe`` (``split`` positions index these rows)."""
    rows, y = prepare_target(frame, problem)
    features = feature_columns(schema, problem.target, recipe)
    fitter = TrainingFitter(recipe, problem.task, {c.name: c.kind for c in features})
    return TrainingData(rows, y, features, rows[[c.name for c in features]], fitter)


class TrainingFitter(NamedTuple):
    """Fits a fresh copy of a pipeline on training rows after the recipe's row steps (dedupe, outliers, re-sampling)."""

    recipe: dict
    task: str
    kinds: dict[str, str]

    def fit(self, pipeline, X: pd.DataFrame, y: pd.Series):
        X, y, _ = apply_row_steps(X, y, self.recipe, self.task, self.kinds, seed=self.recipe["split"]["seed"])
        return clone(pipeline).fit(X, y)


def balanced(estimator, recipe: dict, task: str):
    """The estimator with ``class_weight='balanced'`` when the recipe asks for class weights and it supports them."""
    params = estimator.get_params()
    # Calibrated wrappers (SVM, linear SVM, ridge) hold the classifier's class_weight one level down.
    key = next((k for k in ("class_weight", "estimator__class_weight") if k in params), None)
    if task == "classification" and recipe["balance"] == "class_weight" and key:
        estimator.set_params(**{key: "balanced"})
    return estimator


def cv_folds(rows: pd.DataFrame, y: pd.Series, task: str, split: dict, settings: dict) -> list:
    """(fit positions, score positions) of each cross-validation fold over the training rows.

    Folds follow the split: grouped splits keep groups whole, time splits train on the past only.
    """
    folds = settings["cv_folds"]
    if split["strategy"] == "group":
        groups = rows[split["group_column"]].astype(str).fillna("").to_numpy()
        folds = min(folds, len(set(groups)))
        return list(GroupKFold(folds).split(rows, y, groups)) if folds >= 2 else []
    if split["strategy"] == "time":
        if folds < 2:
            return []
        order = np.argsort(convert_series(rows[split["time_column"]], "datetime").to_numpy(dtype="datetime64[ns]"),
                           kind="stable")
        return [(order[a], order[b]) for a, b in TimeSeriesSplit(folds).split(order)]
    if task == "classification":
        folds = min(folds, int(y.astype(str).value_counts().min()))
        if folds < 2:
            return []
        return list(StratifiedKFold(folds, shuffle=True, random_state=settings["seed"]).split(rows, y.astype(str)))
    return list(KFold(folds, shuffle=True, random_state=settings["seed"]).split(rows)) if folds >= 2 else []


def _train_one(name, pipeline, X, y, problem, fitter, folds, split, deadline) -> Candidate:
    started = time.monotonic()
    try:
        cv_scores = _cross_validate(pipeline, X.iloc[split.train], y.iloc[split.train], problem, fitter, folds,
                                    deadline)
        fitted = call_before(deadline, lambda: fitter.fit(pipeline, X.iloc[split.train], y.iloc[split.train]))
        metrics, predictions = evaluate(fitted, X.iloc[split.valid], y.iloc[split.valid], problem.task)
    except TimeBudgetExceeded as exc:
        return Candidate(name, "skipped", None, [], {}, None, time.monotonic() - started, str(exc))
    except (ValueError, ArithmeticError, MemoryError, np.linalg.LinAlgError) as exc:
        return Candidate(name, "failed", None, [], {}, None, time.monotonic() - started, _short(exc))
    return Candidate(name, "ok", fitted, cv_scores, metrics, predictions, time.monotonic() - started)


def _cross_validate(pipeline, X, y, problem, fitter, folds, deadline) -> list[float]:
    scorer = get_scorer(METRICS[problem.metric].scorer)
    sign = 1.0 if METRICS[problem.metric].greater_is_better else -1.0
    scores = []
    for fit_rows, score_rows in folds:
        model = call_before(deadline, lambda rows=fit_rows: fitter.fit(pipeline, X.iloc[rows], y.iloc[rows]))
        scores.append(sign * float(scorer(model, X.iloc[score_rows], y.iloc[score_rows])))
    return scores


def evaluate(pipeline, X: pd.DataFrame, y: pd.Series, task: str) -> tuple[dict[str, float], pd.DataFrame]:
    """Metrics of a fitted pipeline on (X, y), and the per-row predictions behind them."""
    predictions = pd.DataFrame({"y_true": y.to_numpy(), "y_pred": pipeline.predict(X)})
    proba, classes = None, None
    if task == "classification" and hasattr(pipeline, "predict_proba"):
        classes = list(pipeline.classes_)
        proba = pipeline.predict_proba(X)
        for j, label in enumerate(classes):
            predictions[f"proba_{label}"] = proba[:, j]
    return compute_metrics(task, y, predictions["y_pred"], proba, classes), predictions


def best_candidate(candidates: list[Candidate], metric: str) -> Candidate:
    """The trained candidate with the best validation score on ``metric``."""
    ok = [c for c in candidates if c.status == "ok" and metric in c.valid_metrics]
    if not ok:
        raise TrainingError(f"No trained model has a validation '{metric}' score.")
    sign = 1 if METRICS[metric].greater_is_better else -1
    return max(ok, key=lambda c: sign * c.valid_metrics[metric])


def refit(pipeline, X: pd.DataFrame, y: pd.Series, deadline: float | None, fitter: TrainingFitter | None = None):
    """A fresh copy of ``pipeline`` fitted on (X, y) (after ``fitter``'s row steps), or TimeBudgetExceeded."""
    if fitter is None:
        return call_before(deadline, lambda: clone(pipeline).fit(X, y))
    return call_before(deadline, lambda: fitter.fit(pipeline, X, y))


def call_before(deadline: float | None, work: Callable):
    """Run ``work``; past ``deadline`` (time.monotonic) give up and raise TimeBudgetExceeded.

    The work runs in a daemon thread so a slow fit cannot hold the caller past its budget;
    an abandoned fit finishes (or dies with the process) in the background.
    """
    if deadline is None:
        return work()
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeBudgetExceeded("the time budget ran out before this model could start")
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(remaining)
    if thread.is_alive():
        raise TimeBudgetExceeded("the time budget ran out while this model was training")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
