"""Tuned training: Optuna studies per model family (or one AutoML study across families), then the
best parameters of each family refitted on the training rows and scored on validation; optionally a
soft-voting ensemble of the best families when it beats them on validation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import optuna
import pandas as pd
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.pipeline import Pipeline

from engine.data.problem import Problem
from engine.data.schema import ColumnInfo
from engine.errors import TrainingError
from engine.evaluate.metrics import METRICS
from engine.prepare.pipeline import build_caster
from engine.prepare.recipe import validate_recipe
from engine.prepare.split import Split
from engine.train.catalog import MODELS
from engine.train.training import (
    Candidate,
    TimeBudgetExceeded,
    TrainingData,
    call_before,
    evaluate,
    family_pipeline,
    no_model_message,
    out_of_memory,
    short_error,
    train_candidates,
    training_data,
    validate_settings,
)
from engine.train.tuning import best_params_by_family, create_study, family_errors, pruned_families, run_study

__all__ = ["tune_candidates", "tuning_spec", "voting_pipeline"]

Progress = Callable[[float, str], None]
_ENSEMBLE_SIZE = 3
_REFIT_SHARE = 0.3  # of the time budget, kept for refitting the best parameters after the search
_AUTOML_REFIT_SHARE = 0.2  # AutoML's floor; it also stops once the time left nears what its refits will take


def tuning_spec(data_path: str, problem: Problem, recipe: dict, schema: list[ColumnInfo], settings: dict,
                families: list[str], rows: int = 0) -> dict:
    """The JSON a study carries so any worker can rebuild its objective; ``rows`` (training rows) chooses which
    portfolio points an AutoML study queues first (``engine.train.catalog.automl_portfolio``)."""
    return {"rows": int(rows), "data": str(data_path), "problem": problem.to_dict(), "recipe": validate_recipe(recipe),
            "schema": [c.to_dict() for c in schema], "families": list(families), "automl": settings["automl"],
            "search": settings["search"], "pruner": settings["pruner"], "cv_folds": settings["cv_folds"],
            "seed": settings["seed"], "losses": dict(settings.get("losses", {}))}


def tune_candidates(frame: pd.DataFrame, schema: list[ColumnInfo], problem: Problem, recipe: dict, settings: dict,
                    split: Split, *, storage, study_name: str, data_path: str, progress: Progress | None = None,
                    on_candidate: Callable[[Candidate], None] | None = None,
                    stop: threading.Event | None = None) -> list[Candidate]:
    """Search each chosen family's parameters (or all at once with AutoML) and return one candidate per family.

    Studies named ``study_name``-… that already exist are continued (their trials kept), so calling
    this again with the same name extends a search. Setting ``stop`` (a cancel) ends the search after
    the trial in progress; the best family found so far is still refitted, the others are skipped.
    """
    settings = validate_settings(settings, problem.task)
    recipe = validate_recipe(recipe)
    progress = progress or (lambda fraction, message: None)
    started = time.monotonic()
    budget = settings["time_budget"]
    deadline = None if budget is None else started + budget
    baseline = train_candidates(frame, schema, problem, recipe, {**settings, "models": ["baseline"],
                                                                 "time_budget": None}, split,
                                require_model=False)
    results = [c for c in baseline if c.model == "baseline"]
    for candidate in results:
        if on_candidate:
            on_candidate(candidate)
    families = [m for m in settings["models"] if m != "baseline"]
    groups = [families] if settings["automl"] else [[f] for f in families]
    total = settings["n_trials"] * len(groups)
    done = {"trials": 0}

    def on_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done["trials"] += 1
        best = _best_text(study, problem.metric)
        # Under a time budget the clock, not the trial count, says how far the search is.
        share = done["trials"] / total if budget is None else max(done["trials"] / total,
                                                                  (time.monotonic() - started) / budget)
        limit = "" if budget is None else f" ({time.monotonic() - started:.0f} s of {budget:g} s)"
        progress(min(share, 0.99) * 0.9, f"Trial {done['trials']} of at most {total} done{limit}; {best}")
        # One AutoML study: stop when what is left is about what refitting its best families will take.
        if settings["automl"] and deadline is not None and deadline - time.monotonic() < _refit_seconds(study):
            study.stop()

    tuned: dict[str, tuple[dict, optuna.trial.FrozenTrial]] = {}
    errors: dict[str, str] = {}
    pruned: set[str] = set()
    for i, group in enumerate(groups):
        if stop is not None and stop.is_set():
            break
        name = f"{study_name}-automl" if settings["automl"] else f"{study_name}-{group[0]}"
        spec = tuning_spec(data_path, problem, recipe, schema, settings, group, rows=len(split.train))
        study = create_study(spec, storage, name)
        # The search gets its share of what is left; the rest refits each family's best parameters.
        reserve = _AUTOML_REFIT_SHARE if settings["automl"] else _REFIT_SHARE
        left = None if deadline is None else deadline - reserve * budget - time.monotonic()
        timeout = None if left is None else max(left / (len(groups) - i), 0.5)
        progress(done["trials"] / total * 0.9, f"Searching {' / '.join(group)} ({settings['search']})")
        run_study(study, frame, n_trials=settings["n_trials"], timeout=timeout, patience=settings["patience"],
                  on_trial=on_trial, stop=stop)
        tuned.update(best_params_by_family(study))
        errors.update(family_errors(study))
        pruned |= pruned_families(study)
    stopped = stop is not None and stop.is_set()
    progress(0.9, "Stopped: refitting the best parameters found so far" if stopped
             else "Refitting the best parameters of each model on the training rows")
    data = training_data(frame, schema, problem, recipe)
    refitted = _refit_best(data, problem, recipe, settings, split, tuned, deadline, stop)
    refitted += [_untried(f, errors, f in pruned, stopped) for f in families if f not in tuned]
    for candidate in refitted:
        if on_candidate:
            on_candidate(candidate)
    results += refitted
    if not stopped and not any(c.status == "ok" and c.model != "baseline" for c in results):
        raise TrainingError(no_model_message(results))
    if settings["ensemble"] and not stopped:
        ensemble = _ensemble(data, problem, recipe, split, refitted, deadline, settings["seed"])
        if ensemble is not None:
            results.append(ensemble)
            if on_candidate:
                on_candidate(ensemble)
    progress(1.0, "Tuning finished")
    return results


def _refit_seconds(study: optuna.Study) -> float:
    """About how long refitting the best trial of the top families on the training rows, then their vote, takes:
    a fold's fit of each (its trial's time over its folds, x1.2 for the larger training set), then half again for
    the vote (measured: the vote's one shared preprocessing makes it cheaper than refitting its members)."""
    best = best_params_by_family(study)
    sign = 1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1
    top = sorted((trial for _, trial in best.values()), key=lambda t: -sign * t.value)[:_ENSEMBLE_SIZE]
    fits = [t.duration.total_seconds() / max(len(t.user_attrs.get("fold_scores", [])), 1) * 1.2
            for t in top if t.duration is not None]
    return 1.5 * sum(fits)


def _untried(family: str, errors: dict[str, str], pruned: bool, stopped: bool) -> Candidate:
    """A family the search never finished a trial of: failed (with the last trial's error), pruned as
    worse than the others, or out of time."""
    if family in errors:
        return Candidate(family, "failed", None, [], {}, None, 0.0,
                         f"no trial of this model finished; last error: {errors[family]}")
    if pruned:
        return Candidate(family, "skipped", None, [], {}, None, 0.0,
                         "its trials were stopped early (pruned): after the first folds they scored below the "
                         "median of the other trials")
    why = "the search was stopped" if stopped else "the time budget ran out"
    return Candidate(family, "skipped", None, [], {}, None, 0.0, f"{why} before any trial of this model finished")


def _refit_best(data: TrainingData, problem, recipe, settings, split, tuned, deadline, stop) -> list[Candidate]:
    _, y, features, X, fitter = data
    out = []
    sign = 1 if METRICS[problem.metric].greater_is_better else -1
    # Best family first; it is refitted even past the deadline or a stop, so a search always yields a model.
    for family, (params, trial) in sorted(tuned.items(), key=lambda item: -sign * item[1][1].value):
        started = time.monotonic()
        limit, halt = (deadline, stop) if out else (None, None)
        pipeline = family_pipeline(family, params, features, recipe, problem.task, settings["seed"])
        scores = list(trial.user_attrs.get("fold_scores", []))
        cv = scores if settings["cv_folds"] and len(scores) > 1 else []  # one score: the holdout, not folds
        try:
            fitted = call_before(limit, lambda p=pipeline: fitter.fit(p, X.iloc[split.train], y.iloc[split.train]),
                                 halt)
            metrics, predictions = evaluate(fitted, X.iloc[split.valid], y.iloc[split.valid], problem.task)
        except TimeBudgetExceeded as exc:
            out.append(Candidate(family, "skipped", None, [], {}, None, time.monotonic() - started, str(exc)))
            continue
        except (ValueError, ArithmeticError, MemoryError, np.linalg.LinAlgError) as exc:
            message = out_of_memory(exc) if isinstance(exc, MemoryError) else short_error(exc)
            out.append(Candidate(family, "failed", None, [], {}, None, time.monotonic() - started, message))
            continue
        out.append(Candidate(family, "ok", fitted, cv, metrics, predictions, time.monotonic() - started,
                             tuning={"trial": trial.number, "params": params}))
    return out


def voting_pipeline(members: list[tuple[str, dict]], features: list[ColumnInfo], recipe: dict, task: str,
                    seed: int):
    """The unfitted Pipeline of a voting ensemble of ``(family, params)`` members (soft voting on probabilities for
    classification, the mean for regression). Members whose families want the same input share one preprocessing;
    otherwise each member is its family's own pipeline, behind a cast of the raw columns."""
    pipelines = [(name, family_pipeline(name, params, features, recipe, task, seed)) for name, params in members]
    shared = len({MODELS[name].input for name, _ in members}) == 1
    estimators = [(name, pipeline.named_steps["model"] if shared else pipeline) for name, pipeline in pipelines]
    voter = (VotingClassifier(estimators, voting="soft") if task == "classification"
             else VotingRegressor(estimators))
    prepare = pipelines[0][1].named_steps["prepare"] if shared else build_caster(features)
    return Pipeline([("prepare", prepare), ("model", voter)])


def _ensemble(data: TrainingData, problem, recipe, split, candidates, deadline, seed) -> Candidate | None:
    """Soft voting over the best families (those with probabilities); kept only when it beats each of them."""
    metric = METRICS[problem.metric]
    ok = [c for c in candidates if c.status == "ok" and problem.metric in c.valid_metrics]
    if problem.task == "classification":
        ok = [c for c in ok if hasattr(c.pipeline.named_steps["model"], "predict_proba")]
    ok.sort(key=lambda c: c.valid_metrics[problem.metric], reverse=metric.greater_is_better)
    members = ok[:_ENSEMBLE_SIZE]
    if len(members) < 2:
        return None
    started = time.monotonic()
    _, y, features, X, fitter = data
    pipeline = voting_pipeline([(c.model, c.tuning["params"]) for c in members], features, recipe, problem.task,
                               seed)
    try:
        fitted = call_before(deadline, lambda: fitter.fit(pipeline, X.iloc[split.train], y.iloc[split.train]))
    except TimeBudgetExceeded as exc:
        return Candidate("ensemble", "skipped", None, [], {}, None, time.monotonic() - started, str(exc))
    metrics, predictions = evaluate(fitted, X.iloc[split.valid], y.iloc[split.valid], problem.task)
    best = members[0].valid_metrics[problem.metric]
    better = metrics[problem.metric] > best if metric.greater_is_better else metrics[problem.metric] < best
    if not better:
        note = (f"the vote of {', '.join(c.model for c in members)} scored {metrics[problem.metric]:.4f}, "
                f"not better than {members[0].model} alone ({best:.4f})")
        return Candidate("ensemble", "skipped", None, [], metrics, None, time.monotonic() - started, note)
    return Candidate("ensemble", "ok", fitted, [], metrics, predictions, time.monotonic() - started,
                     tuning={"members": [c.model for c in members],
                             "params": {c.model: c.tuning["params"] for c in members}})


def _best_text(study: optuna.Study, metric: str) -> str:
    try:
        return f"best {METRICS[metric].label} so far {study.best_value:.4f}"
    except ValueError:
        return "no finished trial yet"
