"""Hyper-parameter tuning with Optuna: one study per search, trials scored by cross-validation.

A study is self-describing: its ``spec`` user attribute (JSON) holds the data file, problem,
recipe, schema and search settings, so any process that can reach the storage and the file
can join it (``python -m engine worker --study NAME --storage URL``). Each fold's running mean
is reported as an intermediate value, so the median / successive-halving pruners stop poor
trials early.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import optuna
import pandas as pd
from sklearn.metrics import get_scorer

from engine.data.problem import Problem
from engine.data.schema import schema_from_dicts
from engine.errors import RecipeError, TrainingError
from engine.evaluate.metrics import METRICS
from engine.prepare.recipe import validate_recipe
from engine.prepare.split import split_rows
from engine.train.catalog import automl_portfolio, grid_for, params_for_rows, suggest_params
from engine.train.ensemble import fitted_nbytes, prediction_score
from engine.train.training import (
    TimeBudgetExceeded,
    TrainingFitter,
    call_before,
    cv_folds,
    family_pipeline,
    loss_params,
    out_of_memory,
    release_free_memory,
    training_data,
)

__all__ = ["PRUNERS", "SAMPLERS", "FirstTrialPruner", "OofEntry", "OutOfFold", "TuningSpec", "best_params_by_family",
           "create_study", "family_errors", "load_study", "make_objective", "make_pruner", "make_sampler",
           "open_storage", "pruned_families", "run_study", "spec_from_study", "start_points"]

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "halving")
TuningSpec = dict  # JSON: data, problem, recipe, schema, families, automl, search, pruner, cv_folds, seed
_OPEN_ATTEMPTS = 5

def make_sampler(spec: TuningSpec, worker: int = 0) -> optuna.samplers.BaseSampler:
    """The spec's sampler; worker ``k`` > 0 gets seed + k so parallel workers explore different points."""
    seed = spec["seed"] + worker
    if spec["search"] == "grid":
        if spec["automl"] or len(spec["families"]) != 1:
            raise RecipeError("A grid search tunes one model family at a time; pick random or TPE for AutoML.")
        grid = grid_for(spec["families"][0], spec["problem"]["task"])
        if not grid:
            raise RecipeError(f"Model '{spec['families'][0]}' has no parameters to search on a grid.")
        return optuna.samplers.GridSampler(grid, seed=seed)
    if spec["search"] == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    with warnings.catch_warnings():  # multivariate / group are "experimental" in Optuna, and the right choice
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # for a conditional search space
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=spec["automl"], n_startup_trials=5)


def make_pruner(spec: TuningSpec) -> optuna.pruners.BasePruner:
    """The spec's pruner; it never prunes a family's trial before that family has a finished one
    (``FirstTrialPruner``)."""
    if spec["pruner"] == "median":
        return FirstTrialPruner(optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    if spec["pruner"] == "halving":
        return FirstTrialPruner(optuna.pruners.SuccessiveHalvingPruner())
    return optuna.pruners.NopPruner()


class FirstTrialPruner(optuna.pruners.BasePruner):
    """``pruner``, except that a trial of a family with no finished trial yet always runs all its folds.

    Without it the median pruner stopped each k-NN and extra-trees trial of an AutoML search after its second
    fold (below the median of the boosting and linear trials), so those chosen families ended with no score and
    no model; a family's first trial is its cheap start point (``start_points``), so sparing it costs little.
    """

    def __init__(self, pruner: optuna.pruners.BasePruner) -> None:
        self.pruner = pruner

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        family = trial.params.get("family")
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if not any(t.params.get("family") == family for t in done):
            return False
        return self.pruner.prune(study, trial)


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage at ``url`` (SQLite, PostgreSQL, MySQL). Heartbeats let a trial whose
    process died (a cancelled job, a killed worker) be marked failed instead of running forever."""
    import sqlalchemy.exc  # here, not at the top: a search in an in-memory storage never loads SQLAlchemy

    kwargs = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    # Processes opening a new storage at once (two jobs, or a job and the page polling it) race to create
    # its tables and version row; the losers find them made on a second look.
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 5, and what a shared study needs
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=10, grace_period=60)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            if attempt == _OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def create_study(spec: TuningSpec, storage, name: str) -> optuna.Study:
    """A new study (or the existing one of that name, to resume) carrying ``spec``.

    A resumed study keeps its trials; its sampler is seeded past them (seed + trials so far), so a
    random search does not replay the points it already tried and a resume stays reproducible. A new
    study first queues its start points (``_queue_starts``).
    """
    direction = "maximize" if METRICS[spec["problem"]["metric"]].greater_is_better else "minimize"
    study = optuna.create_study(study_name=name, storage=storage, direction=direction,
                                sampler=make_sampler(spec), pruner=make_pruner(spec), load_if_exists=True)
    earlier = len(study.get_trials(deepcopy=False))
    if earlier:
        study.sampler = make_sampler(spec, worker=earlier)
    else:
        _queue_starts(study, spec)
    study.set_user_attr("spec", spec)
    return study


def start_points(spec: TuningSpec) -> list[tuple[str, dict]]:
    """``(family, params)`` a new study runs before its sampler draws, in running order.

    AutoML: the portfolio for the spec's ``rows`` (``engine.train.catalog.automl_portfolio``), whose first point
    of each family is a cheap one near its defaults, then, for each chosen family the portfolio leaves out (a
    heavy family on large data), its cheap point last: every chosen family gets a finished trial when the budget
    allows, the strong cheap points first. A one-family search (random or TPE) starts from that family's cheap
    point, so a slow first draw (1,000 boosting iterations) cannot take its whole share of the budget. A grid
    search has no start point: the grid is the plan.
    """
    task = spec["problem"]["task"]
    if spec["search"] == "grid":
        return []
    if not spec["automl"]:
        return automl_portfolio(spec["families"], task)[:1]
    points = automl_portfolio(spec["families"], task, spec.get("rows", 0))
    queued = {family for family, _ in points}
    for family in spec["families"]:
        if family not in queued:
            points += automl_portfolio([family], task)[:1]
    return points


def _queue_starts(study: optuna.Study, spec: TuningSpec) -> None:
    several = spec["automl"] and len(spec["families"]) > 1  # one family: the objective does not suggest "family"
    prefix = spec["automl"]  # AutoML names its parameters "<family>__<name>" (see make_objective)
    for family, params in start_points(spec):
        point = {f"{family}__{name}" if prefix else name: value for name, value in params.items()}
        study.enqueue_trial({"family": family, **point} if several else point)


def load_study(name: str, storage, worker: int = 0) -> optuna.Study:
    """An existing study, with the sampler and pruner its spec asks for."""
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError as exc:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage)][:10]
        raise TrainingError(f"There is no study named '{name}' in this storage; studies there: {names}.") from exc
    spec = study.user_attrs.get("spec")
    if spec is None:
        raise TrainingError(f"Study '{name}' was not created by the workbench (it has no spec).")
    return optuna.load_study(study_name=name, storage=storage, sampler=make_sampler(spec, worker),
                             pruner=make_pruner(spec))


def spec_from_study(study: optuna.Study) -> TuningSpec:
    return study.user_attrs["spec"]


class OofEntry(NamedTuple):
    """One finished trial's out-of-fold predictions: each training row predicted by the fold that did not fit on
    it (float32; class probabilities in ``OutOfFold.classes`` order, or regression values)."""

    family: str
    trial: int
    value: float
    params: dict
    prediction: np.ndarray
    fit_seconds: float = 0.0  # the mean fit of a fold: what refitting this configuration will about take
    nbytes: int = 0  # the largest fold model's fitted size (``engine.train.ensemble.fitted_nbytes``)


class OutOfFold:
    """The out-of-fold predictions of the best few finished trials of each family, kept in this process for
    greedy ensemble selection (``engine.train.ensemble``).

    Only the ``keep`` best trials per family stay: an entry is rows x classes float32 (1.4 MB for 35,000 rows and
    10 classes), so keeping every trial would grow with the search. Trials that other workers ran, or that an
    earlier process ran in a resumed study, have none here. ``y`` holds class codes (classification) or values,
    ``fold_of_row`` the fold that scored each training row (-1: none did, as with a time split's first block).
    """

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self.y: np.ndarray | None = None
        self.classes: np.ndarray | None = None
        self.fold_of_row: np.ndarray | None = None
        self.greater_is_better = True
        self._entries: dict[str, list[OofEntry]] = {}
        self._lock = threading.Lock()

    def bind(self, y: np.ndarray, classes: np.ndarray | None, fold_of_row: np.ndarray, greater_is_better: bool):
        """Set the rows the predictions are of (every study of one search has the same training rows)."""
        self.y, self.classes, self.fold_of_row, self.greater_is_better = y, classes, fold_of_row, greater_is_better

    def offer(self, entry: OofEntry) -> None:
        """Keep ``entry`` if it is among the ``keep`` best of its family."""
        sign = 1 if self.greater_is_better else -1
        with self._lock:
            kept = sorted([*self._entries.get(entry.family, []), entry], key=lambda e: (-sign * e.value, e.trial))
            self._entries[entry.family] = kept[:self.keep]

    def ranked(self) -> list[OofEntry]:
        """Every kept entry, best first."""
        sign = 1 if self.greater_is_better else -1
        with self._lock:
            entries = [e for kept in self._entries.values() for e in kept]
        return sorted(entries, key=lambda e: (-sign * e.value, e.family, e.trial))


def make_objective(spec: TuningSpec, frame: pd.DataFrame, deadline: float | None = None,
                   stop: threading.Event | None = None, oof: OutOfFold | None = None
                   ) -> Callable[[optuna.Trial], float]:
    """The function a trial runs: suggest a family and parameters, cross-validate on training rows.

    Past ``deadline`` (time.monotonic), or once ``stop`` is set (a cancel), a fold's fit is abandoned
    and the trial pruned, so a slow trial cannot carry the search beyond its budget or a cancel. A fold is
    scored from its predictions (``engine.train.ensemble.prediction_score``), and a trial that finishes every
    fold offers them to ``oof``, so the ensemble blends exactly what the trial values measured.
    """
    problem = Problem(**spec["problem"])
    recipe = validate_recipe(spec["recipe"])
    schema = schema_from_dicts(spec["schema"])
    rows, y, features, X, fitter = training_data(frame, schema, problem, recipe)
    split = split_rows(y, problem.task, recipe["split"], rows)
    X_train, y_train = X.iloc[split.train].reset_index(drop=True), y.iloc[split.train].reset_index(drop=True)
    settings = {"cv_folds": spec["cv_folds"], "seed": spec["seed"]}
    folds = cv_folds(rows.iloc[split.train].reset_index(drop=True), y_train, problem.task, recipe["split"], settings)
    holdout = (X.iloc[split.valid], y.iloc[split.valid])
    scorer = get_scorer(METRICS[problem.metric].scorer)
    sign = 1.0 if METRICS[problem.metric].greater_is_better else -1.0
    classes = np.unique(y_train.to_numpy()) if problem.task == "classification" else None
    target = _target_codes(y_train, classes)
    fold_of_row = np.full(len(y_train), -1)
    for step, (_, score_rows) in enumerate(folds):
        fold_of_row[score_rows] = step
    fit_rows_min = min((len(fit_rows) for fit_rows, _ in folds), default=len(y_train))
    outputs = 1 if classes is None else len(classes)  # a tree leaf's values: one per class, or the one value
    if oof is not None and folds:
        oof.bind(target, classes, fold_of_row, sign > 0)

    def objective(trial: optuna.Trial) -> float:
        family = _family(trial, spec)
        params = suggest_params(family, trial, problem.task, prefix=f"{family}__" if spec["automl"] else "")
        params.update(loss_params(spec, family))
        params = params_for_rows(family, params, fit_rows_min, outputs)
        trial.set_user_attr("family", family)
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        trial.set_user_attr("params", params)
        pipeline = family_pipeline(family, params, features, recipe, problem.task, spec["seed"])
        scores = []
        plan = folds or [(None, None)]
        predicted = _empty_prediction(len(y_train), classes) if folds else None
        fit_seconds = predict_seconds = 0.0
        nbytes = 0
        for step, (fit_rows, score_rows) in enumerate(plan):
            try:
                if fit_rows is None:  # no cross-validation: the validation split scores the trial
                    model = _fit_before(deadline, stop, fitter, pipeline, X_train, y_train)
                    scores.append(sign * float(scorer(model, *holdout)))
                else:
                    fit_started = time.monotonic()
                    model = _fit_before(deadline, stop, fitter, pipeline, X_train.iloc[fit_rows],
                                        y_train.iloc[fit_rows])
                    predict_started = time.monotonic()
                    fit_seconds += predict_started - fit_started
                    prediction = _predict(model, X_train.iloc[score_rows], classes)
                    predict_seconds += time.monotonic() - predict_started
                    if prediction is None:  # a classifier without probabilities: its scorer, and no blending
                        predicted = None
                        scores.append(sign * float(scorer(model, X_train.iloc[score_rows],
                                                          y_train.iloc[score_rows])))
                    else:
                        scores.append(prediction_score(problem.metric, target[score_rows], prediction))
                        if predicted is not None:
                            predicted[score_rows] = prediction
                    nbytes = max(nbytes, fitted_nbytes(model))
                # Dropped before the next fold fits (and before a pruned trial's exception keeps this frame): a
                # trial holds one fitted model at a time; a forest of 300 deep trees is 100 MB or more.
                model = None
            except MemoryError as exc:
                trial.set_user_attr("error", out_of_memory(exc))
                raise  # the study records the trial as failed and goes on
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
                trial.set_user_attr("error", f"{type(exc).__name__}: {str(exc).strip()[:300]}")
                raise  # the study records the trial as failed and goes on
            trial.report(float(np.mean(scores)), step)
            if trial.should_prune():
                trial.set_user_attr("fold_scores", scores)
                trial.set_user_attr("pruned", True)  # by the pruner, not the clock or a cancel
                raise optuna.TrialPruned()
        trial.set_user_attr("fold_scores", scores)
        if folds:  # what the AutoML's post-search estimate scales with (engine.train.policy)
            trial.set_user_attr("fit_seconds", fit_seconds / len(folds))
            trial.set_user_attr("predict_seconds_per_row", predict_seconds / max(len(y_train), 1))
        if oof is not None and predicted is not None:
            oof.offer(OofEntry(family, trial.number, float(np.mean(scores)), params, predicted,
                               fit_seconds / len(folds), nbytes))
        return float(np.mean(scores))

    return objective


def _target_codes(y: pd.Series, classes: np.ndarray | None) -> np.ndarray:
    """Regression values as floats; classes as their positions in ``classes``."""
    if classes is None:
        return y.to_numpy(dtype=float)
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[c] for c in y.to_numpy()], dtype=int)


def _empty_prediction(rows: int, classes: np.ndarray | None) -> np.ndarray:
    return np.full((rows, len(classes)) if classes is not None else rows, np.nan, dtype=np.float32)


def _predict(model, X: pd.DataFrame, classes: np.ndarray | None) -> np.ndarray | None:
    """A fold model's float32 predictions of ``X``: probabilities in ``classes`` order (a class the fold never saw
    gets 0), regression values, or None for a classifier without ``predict_proba``."""
    if classes is None:
        return np.asarray(model.predict(X), dtype=np.float32)
    if not hasattr(model, "predict_proba"):
        return None
    index = {c: i for i, c in enumerate(classes)}
    out = np.zeros((len(X), len(classes)), dtype=np.float32)
    out[:, [index[c] for c in model.classes_]] = model.predict_proba(X)
    return out


def run_study(study: optuna.Study, frame: pd.DataFrame, *, n_trials: int | None, timeout: float | None,
              patience: int | None = None, on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None]
              | None = None, stop: threading.Event | None = None, oof: OutOfFold | None = None) -> int:
    """Run trials until ``n_trials`` (this process's share), ``timeout`` seconds, ``patience``
    finished trials without improvement, or ``stop`` is set, whichever comes first; return how many
    this process ran (a trial cut short by ``stop`` is recorded as pruned). Finished trials' out-of-fold
    predictions go to ``oof`` when given."""
    started = time.monotonic()
    objective = make_objective(spec_from_study(study), frame, None if timeout is None else started + timeout, stop,
                               oof)
    ran = []

    def after_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        ran.append(trial.number)
        release_free_memory()
        if on_trial is not None:
            on_trial(study, trial)
        if patience and _trials_since_best(study) >= patience:
            study.stop()
        if timeout is not None and time.monotonic() - started >= timeout:
            study.stop()
        if stop is not None and stop.is_set():
            study.stop()

    # A failing fit (e.g. a solver refusing a parameter mix, or a fit out of memory) fails its trial, not the study.
    study.optimize(objective, n_trials=n_trials, timeout=timeout, callbacks=[after_trial],
                   catch=(ValueError, ArithmeticError, MemoryError, np.linalg.LinAlgError), gc_after_trial=False)
    return len(ran)


def family_errors(study: optuna.Study) -> dict[str, str]:
    """For each family whose trials failed, the error of its last failed trial."""
    errors = {}
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,)):
        family = trial.user_attrs.get("family")
        if family and "error" in trial.user_attrs:
            errors[family] = trial.user_attrs["error"]
    return errors


def pruned_families(study: optuna.Study) -> set[str]:
    """Families with a trial the pruner stopped as worse than the others at the same fold."""
    return {t.user_attrs["family"] for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
            if t.user_attrs.get("pruned") and "family" in t.user_attrs}


def best_params_by_family(study: optuna.Study) -> dict[str, tuple[dict, optuna.trial.FrozenTrial]]:
    """For each family tried, the parameters of its best finished trial."""
    sign = 1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1
    best: dict[str, tuple[dict, optuna.trial.FrozenTrial]] = {}
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        family = trial.user_attrs.get("family")
        if family and (family not in best or sign * trial.value > sign * best[family][1].value):
            best[family] = (trial.user_attrs["params"], trial)
    return best


def _fit_before(deadline: float | None, stop: threading.Event | None, fitter: TrainingFitter, pipeline, X, y):
    try:
        return call_before(deadline, lambda: fitter.fit(pipeline, X, y), stop)
    except TimeBudgetExceeded as exc:
        raise optuna.TrialPruned(f"time budget: {exc}") from exc


def _family(trial: optuna.Trial, spec: TuningSpec) -> str:
    if spec["automl"] and len(spec["families"]) > 1:
        return trial.suggest_categorical("family", spec["families"])
    return spec["families"][0]


def _trials_since_best(study: optuna.Study) -> int:
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not done:
        return 0
    best = study.best_trial.number
    return sum(1 for t in done if t.number > best)
