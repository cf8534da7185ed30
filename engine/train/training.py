"""Training: cross-validate and fit each chosen model family under an optional time budget.

Progress leaves through a ``progress(fraction, message)`` callback; a callback that raises
(e.g. because the user cancelled) stops training, and the exception propagates.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import has_fit_parameter

from engine.data.problem import Problem, numeric_target
from engine.data.schema import ColumnInfo, convert_series
from engine.errors import RecipeError, TrainingError
from engine.evaluate.metrics import METRICS, compute_metrics
from engine.prepare.pipeline import build_pipeline, feature_columns
from engine.prepare.recipe import validate_recipe
from engine.prepare.rows import apply_row_steps
from engine.prepare.split import Split
from engine.train.catalog import MODELS, default_models, make_estimator, models_for_task

__all__ = [
    "DEFAULT_SETTINGS",
    "Candidate",
    "StopRequested",
    "TimeBudgetExceeded",
    "TrainingData",
    "TrainingFitter",
    "abandoned_fits",
    "balanced",
    "balanced_fit_params",
    "best_candidate",
    "call_before",
    "chosen_by_cv",
    "cv_folds",
    "cv_note",
    "evaluate",
    "family_pipeline",
    "loss_params",
    "no_model_message",
    "out_of_memory",
    "prepare_target",
    "refit",
    "release_free_memory",
    "short_error",
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


class StopRequested(TimeBudgetExceeded):
    """The user asked the search to stop (a cancel): treated like the end of the time budget."""


_STOP_POLL_SECONDS = 0.25
_FIT_THREAD = "budgeted-fit"


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
    # The search's out-of-fold probabilities of this model (training rows x classes in sorted order; NaN where no
    # fold predicted), kept for the winner so its calibration check need not refit the folds.
    oof_proba: np.ndarray | None = None
    predict_seconds_per_row: float = 0.0  # measured on the validation rows: what the files' checks scale with


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
        y = numeric_target(problem.target, y)
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
        pipeline = family_pipeline(name, loss_params(settings, name), features, recipe, problem.task,
                                   settings["seed"])
        results.append(_train_one(name, pipeline, X, y, problem, fitter, folds, split, deadline))
        if on_candidate is not None:
            on_candidate(results[-1])
    progress(1.0, "Training finished")
    if require_model and not any(c.status == "ok" and c.model != "baseline" for c in results):
        raise TrainingError(no_model_message(results))
    return results


def no_model_message(results: list[Candidate]) -> str:
    """Why no model beyond the baseline was trained, per model, and what to try next."""
    reasons = "; ".join(f"{c.model}: {c.error}" for c in results if c.error)
    advice = []
    if any(c.status == "skipped" for c in results):
        advice.append("raise the time budget or choose faster models")
    if any(c.status == "failed" for c in results):
        advice.append("choose other models or fix the data they failed on")
    kept = " The baseline is kept." if any(c.model == "baseline" and c.status == "ok" for c in results) else ""
    todo = f" To train one, {' or '.join(advice)}." if advice else ""
    return f"No model could be trained ({reasons}).{kept}{todo}"


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
        pipeline = clone(pipeline)
        if self.task == "classification":
            _no_early_stopping_on_rare_classes(pipeline, y)
        return pipeline.fit(X, y, **balanced_fit_params(pipeline, self.recipe, self.task, y))


def _no_early_stopping_on_rare_classes(pipeline, y: pd.Series) -> None:
    """Early stopping (gradient boosting, MLP) holds out a stratified share of the rows, which fails when a
    class has a single row or the share has fewer rows than there are classes; train without it then. ("auto",
    gradient boosting's default, turns it on from 10,000 rows.)"""
    params = pipeline.get_params()
    if params.get("model__early_stopping") not in (True, "auto"):
        return
    counts = y.astype(str).value_counts()
    held_out = int(np.ceil(params.get("model__validation_fraction", 0.1) * len(y)))
    if counts.min() < 2 or held_out < len(counts):
        pipeline.set_params(model__early_stopping=False)


def balanced(estimator, recipe: dict, task: str):
    """The estimator with ``class_weight='balanced'`` when the recipe asks for class weights and it supports them
    (the others that can are weighted at fit time: see ``balanced_fit_params``)."""
    if task == "classification" and recipe["balance"] == "class_weight" and "class_weight" in estimator.get_params():
        estimator.set_params(class_weight="balanced")
    return estimator


def balanced_fit_params(pipeline, recipe: dict, task: str, y: pd.Series) -> dict:
    """Fit parameters weighting each class of ``y`` equally, when the recipe asks for class weights and the
    pipeline's model has no ``class_weight`` but its fit takes ``sample_weight``: naive Bayes, the MLP, and the
    calibrated wrappers (ridge, SVMs), where a class-weighted classifier is not enough because the calibration,
    fitted on unweighted rows, maps its scores back to the real class shares. k-NN takes neither and is fitted
    unweighted; an ensemble's members are weighted only through their own ``class_weight``."""
    model = getattr(pipeline, "named_steps", {}).get("model")
    if (task != "classification" or recipe.get("balance") != "class_weight" or model is None
            or "class_weight" in model.get_params() or isinstance(model, VotingClassifier | StackingClassifier)
            or not has_fit_parameter(model, "sample_weight")):
        return {}
    return {"model__sample_weight": compute_sample_weight("balanced", y)}


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


def cv_note(y: pd.Series, task: str, split: dict, settings: dict) -> str | None:
    """Why cross-validation over training target ``y`` uses fewer folds than asked, or none; None when as asked.

    >>> cv_note(pd.Series(["a"] * 8 + ["b"] * 2), "classification", {"strategy": "random"}, {"cv_folds": 5})
    "Cross-validation uses 2 folds, not 5: class 'b' has only 2 training rows."
    """
    asked = settings["cv_folds"]
    if task != "classification" or split["strategy"] in ("group", "time") or asked < 2:
        return None
    counts = y.astype(str).value_counts()
    if counts.min() >= asked:
        return None
    rare, n = counts.idxmin(), int(counts.min())
    if n < 2:
        return (f"Cross-validation is off (asked for {asked} folds): class {rare!r} has only {n} training row, so "
                "scores come from the validation rows alone. Add rows of that class or merge it into another.")
    return f"Cross-validation uses {n} folds, not {asked}: class {rare!r} has only {n} training rows."


def _train_one(name, pipeline, X, y, problem, fitter, folds, split, deadline) -> Candidate:
    started = time.monotonic()
    try:
        cv_scores = _cross_validate(pipeline, X.iloc[split.train], y.iloc[split.train], problem, fitter, folds,
                                    deadline)
        fitted = call_before(deadline, lambda: fitter.fit(pipeline, X.iloc[split.train], y.iloc[split.train]))
        metrics, predictions = evaluate(fitted, X.iloc[split.valid], y.iloc[split.valid], problem.task)
    except TimeBudgetExceeded as exc:
        return Candidate(name, "skipped", None, [], {}, None, time.monotonic() - started, str(exc))
    except MemoryError as exc:
        return Candidate(name, "failed", None, [], {}, None, time.monotonic() - started, out_of_memory(exc))
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return Candidate(name, "failed", None, [], {}, None, time.monotonic() - started, short_error(exc))
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
        # A class the model never saw (its rows all fell outside the training rows) gets probability 0.
        unseen = sorted(set(y.astype(str)) - {str(c) for c in classes})
        classes, proba = classes + unseen, np.hstack([proba, np.zeros((len(proba), len(unseen)))])
    return compute_metrics(task, y, predictions["y_pred"], proba, classes), predictions


def best_candidate(candidates: list[Candidate], metric: str) -> Candidate:
    """The trained candidate with the best mean cross-validated score on ``metric`` (the run's metric, the one its
    ``cv_scores`` are in) when every trained candidate has one, else the best validation score: the mean over
    several folds says more than one small validation split. On a tie a model that learned goes before the
    baseline: the baseline is the yardstick, not a model to deploy (Evaluate proposes by the same rule)."""
    ok = [c for c in candidates if c.status == "ok" and metric in c.valid_metrics]
    if not ok:
        raise TrainingError(f"No trained model has a validation '{metric}' score.")
    sign = 1 if METRICS[metric].greater_is_better else -1
    if chosen_by_cv([c.cv_scores for c in ok]):
        return max(ok, key=lambda c: (sign * float(np.mean(c.cv_scores)), c.model != "baseline"))
    return max(ok, key=lambda c: (sign * c.valid_metrics[metric], c.model != "baseline"))


def chosen_by_cv(fold_scores: list[list[float]]) -> bool:
    """Whether ``best_candidate`` ranks candidates with these fold scores (one list per trained candidate) by their
    mean cross-validated score: when every one has two folds or more (one score is the holdout, not folds).

    >>> chosen_by_cv([[0.8, 0.7], [0.6, 0.9, 0.7]]), chosen_by_cv([[0.8, 0.7], []])
    (True, False)
    """
    return all(len(scores or []) > 1 for scores in fold_scores)


def refit(pipeline, X: pd.DataFrame, y: pd.Series, deadline: float | None, fitter: TrainingFitter | None = None):
    """A fresh copy of ``pipeline`` fitted on (X, y) (after ``fitter``'s row steps), or TimeBudgetExceeded."""
    if fitter is None:
        return call_before(deadline, lambda: clone(pipeline).fit(X, y))
    return call_before(deadline, lambda: fitter.fit(pipeline, X, y))


def call_before(deadline: float | None, work: Callable, stop: threading.Event | None = None):
    """Run ``work``; past ``deadline`` (time.monotonic), or once ``stop`` is set, give up and raise
    TimeBudgetExceeded (StopRequested for a stop).

    The work runs in its own thread so a slow fit cannot hold the caller past its budget; an abandoned fit
    finishes in the background, and the interpreter waits for it before exiting. (A daemon thread would be torn
    down at exit in the middle of native code, which aborts the process: SIGABRT, "terminate called without an
    active exception".) At most one fit per call is abandoned: later calls past the deadline do not start one.
    """
    if deadline is None and stop is None:
        return work()
    if deadline is not None and deadline - time.monotonic() <= 0:
        raise TimeBudgetExceeded("the time budget ran out before this model could start")
    _check_stop(stop)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=_FIT_THREAD, daemon=False)
    thread.start()
    while thread.is_alive():
        wait = _STOP_POLL_SECONDS if stop is not None else None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeBudgetExceeded("the time budget ran out while this model was training")
            wait = remaining if wait is None else min(wait, remaining)
        thread.join(wait)
        _check_stop(stop)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def abandoned_fits() -> int:
    """How many fits ``call_before`` gave up on still run in this process (once no fit is awaited, as at the end of a
    command): a process whose work is done may exit without waiting for them (``os._exit``), so an abandoned fit
    cannot hold a command past its time budget."""
    return sum(1 for thread in threading.enumerate() if thread.name == _FIT_THREAD and thread.is_alive())


def _check_stop(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise StopRequested("stopped on request")


def family_pipeline(name: str, params: dict, features: list[ColumnInfo], recipe: dict, task: str, seed: int):
    """The unfitted Pipeline of model family ``name`` with ``params``: the recipe's preprocessing, with its unpinned
    encode and scale steps compiled to the input the family wants (``ModelFamily.input``), then the estimator
    (class-weighted when the recipe asks). Every fit of a family goes through here, so a replay of a stored model
    rebuilds exactly what was trained."""
    estimator = balanced(make_estimator(name, task, seed, params), recipe, task)
    return build_pipeline(features, recipe, estimator, task, model_input=MODELS[name].input)


def out_of_memory(exc: MemoryError) -> str:
    """What a model that ran out of memory reports: the error, then what to try."""
    return f"{short_error(exc)} (out of memory; use fewer rows or features, or a lighter model)"


def short_error(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A fit's models are freed when it ends, but glibc keeps the freed pages, in the arena of the thread that fitted
    them (each fit runs in its own thread, see ``call_before``), so the resident size only ever grew: measured on a
    6,000-row table, 240 MB after the first trial and 310 MB after two 300-tree forests, which trimming brings back
    to 240 MB in at most 0.06 s. The search calls it after each trial; a run, after the search and between its files.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()
