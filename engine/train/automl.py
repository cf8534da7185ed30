"""Tuned training: Optuna studies per model family (or one AutoML study across families), then the
best parameters of each family refitted on the training rows and scored on validation; optionally a
weighted soft-voting ensemble chosen by greedy selection on the trials' out-of-fold predictions, kept when it
beats the best single model out of fold. The winner (``best_candidate``: the best cross-validated score) is then
refitted on the training and validation rows together when the time allows.

Under a time budget an AutoML search runs until the time left is about what the work after it will take
(``engine.train.policy.post_search_estimate``, from the fits the search measured); each step after it then starts
only when its own estimate fits and leaves the later steps worth more their time (``PostSearch.ends_by``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import optuna
import pandas as pd
from sklearn.ensemble import (
    VotingClassifier,
    VotingRegressor,
)
from sklearn.pipeline import Pipeline

from engine.data.problem import Problem
from engine.data.schema import ColumnInfo
from engine.errors import TrainingError
from engine.evaluate.metrics import METRICS
from engine.prepare.pipeline import build_caster
from engine.prepare.recipe import validate_recipe
from engine.prepare.split import Split
from engine.train.automl_estimates import (
    VoteForecast,
    fitted_trees,
    fold_fit_seconds,
    forest_of,
    forest_trees,
    member_family,
    next_trial_seconds,
    oof_entry,
    post_search,
    rows_ratio,
    selection_seconds,
    training_fit_seconds,
    winner_post_search,
)
from engine.train.catalog import MODELS
from engine.train.ensemble import (
    MEMBERS_MAX_BYTES,
    blend,
    fitted_nbytes,
    fold_scores,
    greedy_selection,
)
from engine.train.policy import (
    NO_POST_SEARCH,
    POST_SEARCH_MARGIN,
    post_search_floor,
    tree_files_seconds,
)
from engine.train.training import (
    Candidate,
    StopRequested,
    TimeBudgetExceeded,
    TrainingData,
    best_candidate,
    call_before,
    evaluate,
    family_pipeline,
    no_model_message,
    out_of_memory,
    release_free_memory,
    short_error,
    train_candidates,
    training_data,
    validate_settings,
)
from engine.train.tuning import (
    OofEntry,
    OutOfFold,
    best_params_by_family,
    create_study,
    family_errors,
    pruned_families,
    run_study,
)

__all__ = ["member_family", "post_search", "training_fit_seconds", "tune_candidates", "tuning_spec", "voting_pipeline",
           "winner_post_search"]

Progress = Callable[[float, str], None]
_ENSEMBLE_SIZE = 3  # members of the vote when cross-validation is off (no out-of-fold predictions to select on)
_OOF_PER_FAMILY = 2  # best trials per family whose out-of-fold predictions greedy selection may pick from
_REFIT_SHARE = 0.3  # of the time budget, kept for refitting the best parameters after a per-family search


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
                    stop: threading.Event | None = None, deadline: float | None = None,
                    keep_models: bool = True) -> list[Candidate]:
    """Search each chosen family's parameters (or all at once with AutoML) and return one candidate per family.

    Studies named ``study_name``-… that already exist are continued (their trials kept), so calling
    this again with the same name extends a search. Setting ``stop`` (a cancel) ends the search after
    the trial in progress; the best family found so far is still refitted, the others are skipped.
    The winner (``best_candidate``) comes back refitted on the training and validation rows when the time
    allows (see ``_refit_on_all_rows``). ``deadline`` (time.monotonic), when the caller's budget started before
    this call, is when it runs out; else the settings' ``time_budget`` counts from now.
    ``keep_models`` False: the families refitted after the winner for the leaderboard keep their scores, not their
    fitted models (a caller that writes the winner only; each model is dropped once scored, so they are not all in
    memory together).
    """
    settings = validate_settings(settings, problem.task)
    recipe = validate_recipe(recipe)
    progress = progress or (lambda fraction, message: None)
    started = time.monotonic()
    budget = settings["time_budget"]
    if deadline is None and budget is not None:
        deadline = started + budget
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
    best_overall: dict = {}  # over every study of the run: per-family studies each have their own best

    def on_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done["trials"] += 1
        _keep_best(best_overall, trial, METRICS[problem.metric].greater_is_better)
        best = _best_text(best_overall, problem.metric)
        # Under a time budget the clock, not the trial count, says how far the search is.
        share = done["trials"] / total if budget is None else max(done["trials"] / total,
                                                                  (time.monotonic() - started) / budget)
        limit = "" if budget is None else f" ({time.monotonic() - started:.0f} s of {budget:g} s)"
        progress(min(share, 0.99) * 0.9, f"Trial {done['trials']} of at most {total} done{limit}; {best}")
        # One AutoML study: stop when what is left is about what the work after it will take, plus the next trial
        # (a trial that cannot finish is wasted, and its abandoned fit still runs).
        if settings["automl"] and deadline is not None:
            selection = selection_seconds(oof, problem.metric, measured, settings["ensemble"])
            if settings["ensemble"]:
                vote.update(oof, problem.metric, selection)
            post = post_search(study, oof, problem.task, split, settings["cv_folds"], settings["seed"],
                               selection=selection, vote=vote if settings["ensemble"] else None).within(budget)
            if deadline - time.monotonic() < post.total + next_trial_seconds(study):
                study.stop()

    tuned: dict[str, tuple[dict, optuna.trial.FrozenTrial]] = {}
    errors: dict[str, str] = {}
    pruned: set[str] = set()
    oof = OutOfFold(keep=_OOF_PER_FAMILY)
    measured: dict[str, float] = {}  # a prediction_score call's seconds on the search's rows (``selection_seconds``)
    vote = VoteForecast()
    for i, group in enumerate(groups):
        if stop is not None and stop.is_set():
            break
        name = f"{study_name}-automl" if settings["automl"] else f"{study_name}-{group[0]}"
        spec = tuning_spec(data_path, problem, recipe, schema, settings, group, rows=len(split.train))
        study = create_study(spec, storage, name)
        # Per family, each search gets its share of what is left, keeping a share for the refits; AutoML keeps at
        # least the fixed part of its post-search work (no fit measured yet), and ``on_trial`` stops it on time.
        reserve = (post_search_floor(problem.task, budget).total if settings["automl"]
                   else _REFIT_SHARE * (budget or 0.0))
        left = None if deadline is None else deadline - reserve - time.monotonic()
        timeout = None if left is None else max(left / (len(groups) - i), 0.5)
        progress(done["trials"] / total * 0.9, f"Searching {' / '.join(group)} ({settings['search']})")
        run_study(study, frame, n_trials=settings["n_trials"], timeout=timeout, patience=settings["patience"],
                  on_trial=on_trial, stop=stop, oof=oof)
        tuned.update(best_params_by_family(study))
        errors.update(family_errors(study))
        pruned |= pruned_families(study)
    stopped = stop is not None and stop.is_set()
    progress(0.9, "Stopped: refitting the best parameters found so far" if stopped
             else "Refitting the best parameters of each model on the training rows")
    data = training_data(frame, schema, problem, recipe)
    sign = 1 if METRICS[problem.metric].greater_is_better else -1
    ranked = sorted(tuned.items(), key=lambda item: -sign * item[1][1].value)
    blending = settings["ensemble"] and not stopped and len(oof.ranked()) > 1
    if blending:
        vote.update(oof, problem.metric, selection=0.0)  # the store as the search left it
    # AutoML under a budget: each step keeps the time of the later steps worth more (policy.SKIP_ORDER).
    post = (post_search(study, oof, problem.task, split, settings["cv_folds"], settings["seed"],
                        selection=selection_seconds(oof, problem.metric, measured, blending),
                        vote=vote if blending else None).within(budget)
            if settings["automl"] and deadline is not None and tuned else NO_POST_SEARCH)
    files_kept = (forest_of(*ranked[0][1], oof, problem.task, rows_ratio(split, settings["cv_folds"]))
            if settings["automl"] and tuned else (0, 0.0))  # the trees (and bytes) the files' estimate counts
    refit_deadline = post.ends_by("refit", deadline)
    # With out-of-fold predictions the winner is known before the other families are refitted for the
    # leaderboard, so the ensemble and the refit on all rows come first; without, the vote needs them all.
    refitted = _refit_best(data, problem, recipe, settings, split, ranked[:1], refit_deadline, stop)
    others_last = blending and any(c.status == "ok" for c in refitted)
    if not others_last:
        refitted += _refit_best(data, problem, recipe, settings, split, ranked[1:], refit_deadline, stop,
                                forced=False)
    ensemble = None
    if settings["ensemble"] and not stopped:
        ensemble = (_greedy_ensemble(data, problem, recipe, split, oof, refit_deadline, settings["seed"],
                                     files_kept if post is not NO_POST_SEARCH else None)
                    if blending else _ensemble(data, problem, recipe, split, refitted, refit_deadline,
                                               settings["seed"]))
    winner = _winner([c for c in [*results, *refitted, ensemble] if c is not None], problem.metric)
    if winner is not None and winner.model != "baseline" and post is not NO_POST_SEARCH:
        # A winner holding more trees than the search kept file time for (a vote of forests) takes that time from
        # the steps before the files.
        trees = fitted_trees(winner.pipeline) if winner.pipeline is not None else 0
        nbytes = fitted_nbytes(winner.pipeline) if trees else 0
        post = post._replace(exports=post.exports + tree_files_seconds(max(0, trees - files_kept[0]),
                                                                       max(0.0, nbytes - files_kept[1])))
        refit_deadline = post.ends_by("refit", deadline)
    if winner is not None and winner.model != "baseline":
        progress(0.95, f"Refitting {winner.model} on the training and validation rows")
        with_oof = winner._replace(oof_proba=_winner_oof(oof, winner, problem.task))
        refit_winner = _refit_on_all_rows(data, split, with_oof, refit_deadline, stop)
        refitted = [refit_winner if c is winner else c for c in refitted]
        ensemble = refit_winner if ensemble is winner else ensemble
        winner = with_oof = None  # the fit on the training split, once refitted on all rows: its pages handed back
        release_free_memory()
    if others_last:
        refitted += _refit_best(data, problem, recipe, settings, split, ranked[1:],
                                post.ends_by("leaderboard", deadline), stop, forced=False, keep_models=keep_models)
    refitted += [_untried(f, errors, f in pruned, stopped) for f in families if f not in tuned]
    for candidate in [*refitted, *([ensemble] if ensemble is not None else [])]:
        if on_candidate:
            on_candidate(candidate)
    results += refitted
    if not stopped and not any(c.status == "ok" and c.model != "baseline" for c in results):
        raise TrainingError(no_model_message(results))
    if ensemble is not None:
        results.append(ensemble)
    progress(1.0, "Tuning finished")
    return results


#: What a fit can raise on bad data or too little memory: the candidate is recorded as failed, the run goes on.
_FIT_ERRORS = (ValueError, ArithmeticError, MemoryError, np.linalg.LinAlgError)


def _fit_error(exc: Exception) -> str:
    """A failed fit's message: what to try when it ran out of memory, else the error in one line."""
    return out_of_memory(exc) if isinstance(exc, MemoryError) else short_error(exc)


def _winner(candidates: list[Candidate], metric: str) -> Candidate | None:
    """The candidate ``best_candidate`` will choose (best cross-validated score), or None when none can be."""
    try:
        return best_candidate(candidates, metric)
    except TrainingError:
        return None


def _refit_on_all_rows(data: TrainingData, split: Split, winner: Candidate, deadline: float | None,
                       stop: threading.Event | None) -> Candidate:
    """The winner fitted again on the training and validation rows together (everything but the test rows), when
    the time allows; its ``tuning`` says whether it was (``refitted``) and, if not, why (``refit_skipped``). It is
    not started when its fit on the training rows, scaled to the rows and with ``POST_SEARCH_MARGIN``, would end
    past ``deadline``: an abandoned fit would still run, and delay the end.

    Its scores stay those measured before: out of fold and on validation rows it did not learn from. A model
    that has seen the validation rows would score them too well, so they are never measured again after this.
    """
    tuning = dict(winner.tuning or {})

    def kept(why: str) -> Candidate:
        return winner._replace(tuning={**tuning, "refitted": False, "refit_skipped": why})

    if stop is not None and stop.is_set():
        return kept("search stopped")
    started = time.monotonic()
    rows = np.sort(np.concatenate([split.train, split.valid]))
    need = POST_SEARCH_MARGIN * winner.fit_seconds * len(rows) / max(len(split.train), 1)
    if deadline is not None and 0 < deadline - started < need:
        return kept(f"time budget (about {need:.1f} s needed, {deadline - started:.1f} s left)")
    _, y, _, X, fitter = data
    try:
        fitted = call_before(deadline, lambda: fitter.fit(winner.pipeline, X.iloc[rows], y.iloc[rows]), stop)
    except StopRequested:
        return kept("search stopped")
    except TimeBudgetExceeded:
        return kept("time budget")
    except _FIT_ERRORS as exc:
        return kept(_fit_error(exc))
    return winner._replace(pipeline=fitted, fit_seconds=winner.fit_seconds + time.monotonic() - started,
                           tuning={**tuning, "refitted": True, "trained_rows": int(len(rows))})


def _winner_oof(oof: OutOfFold, winner: Candidate, task: str) -> np.ndarray | None:
    """The search's out-of-fold probabilities of ``winner`` (training rows x classes; NaN where no fold predicted):
    its trial's, or for the vote the blend of its members' with its weights, as the vote computes it; None when the
    search kept none (a trial run by another worker, a model without probabilities, cross-validation off)."""
    tuning = winner.tuning or {}
    if task != "classification" or oof.fold_of_row is None:
        return None
    if winner.model == "ensemble":
        trials = tuning.get("trials", {})
        entries = [oof_entry(oof, member_family(name), trials.get(name, -1)) for name in tuning.get("members", [])]
        if not entries or any(e is None for e in entries):
            return None
        proba = blend([e.prediction for e in entries], tuning["weights"])
    else:
        entry = oof_entry(oof, winner.model, tuning.get("trial", -1))
        if entry is None:
            return None
        proba = np.asarray(entry.prediction, dtype=float)
    proba[oof.fold_of_row < 0] = np.nan
    return proba


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


def _refit_best(data: TrainingData, problem, recipe, settings, split, ranked, deadline, stop,
                forced: bool = True, keep_models: bool = True) -> list[Candidate]:
    """Each ``(family, (params, trial))`` of ``ranked`` fitted on the training rows and scored on validation."""
    _, y, features, X, fitter = data
    out = []
    # Best family first; when ``forced`` it is refitted even past the deadline or a stop, so a search always
    # yields a model. The others start only when their fit (a fold's, x1.2 the rows) can end before ``deadline``.
    for family, (params, trial) in ranked:
        started = time.monotonic()
        limit, halt = (deadline, stop) if out or not forced else (None, None)
        need = POST_SEARCH_MARGIN * 1.2 * fold_fit_seconds(trial)
        if limit is not None and 0 < limit - started < need:
            out.append(Candidate(family, "skipped", None, [], {}, None, 0.0,
                                 f"the time budget was kept for the winner: refitting this model would take about "
                                 f"{need:.1f} s and {limit - started:.1f} s were left"))
            continue
        pipeline = family_pipeline(family, params, features, recipe, problem.task, settings["seed"])
        scores = list(trial.user_attrs.get("fold_scores", []))
        cv = scores if settings["cv_folds"] and len(scores) > 1 else []  # one score: the holdout, not folds
        try:
            fitted = call_before(limit, lambda p=pipeline: fitter.fit(p, X.iloc[split.train], y.iloc[split.train]),
                                 halt)
            predict_started = time.monotonic()
            metrics, predictions = evaluate(fitted, X.iloc[split.valid], y.iloc[split.valid], problem.task)
            predict_row = (time.monotonic() - predict_started) / max(len(split.valid), 1)
        except TimeBudgetExceeded as exc:
            out.append(Candidate(family, "skipped", None, [], {}, None, time.monotonic() - started, str(exc)))
            continue
        except _FIT_ERRORS as exc:
            out.append(Candidate(family, "failed", None, [], {}, None, time.monotonic() - started, _fit_error(exc)))
            continue
        out.append(Candidate(family, "ok", fitted if keep_models else None, cv, metrics, predictions,
                             time.monotonic() - started, tuning={"trial": trial.number, "params": params},
                             predict_seconds_per_row=predict_row))
        fitted = None  # not held while the next family fits
        release_free_memory()  # the fit's freed pages (see ``release_free_memory``): 14-30 MB a refit on 10k rows
    return out


def voting_pipeline(members: list[tuple[str, dict]], features: list[ColumnInfo], recipe: dict, task: str,
                    seed: int, weights: list[float] | None = None):
    """The unfitted Pipeline of a voting ensemble of ``(name, params)`` members (soft voting on probabilities for
    classification, the mean for regression; ``weights`` as the voters take them, None: equal). A name is a
    family, or ``family#2`` for a second configuration of one. Members whose families want the same input share
    one preprocessing; otherwise each member is its family's own pipeline, behind a cast of the raw columns."""
    pipelines = [(name, family_pipeline(member_family(name), params, features, recipe, task, seed))
                 for name, params in members]
    shared = len({MODELS[member_family(name)].input for name, _ in members}) == 1
    estimators = [(name, pipeline.named_steps["model"] if shared else pipeline) for name, pipeline in pipelines]
    # skl2onnx converts a vote only with its weights as an array and without flatten_transform (which shapes
    # ``transform`` alone, never the probabilities).
    weights = None if weights is None else np.asarray(weights, dtype=float)
    voter = (VotingClassifier(estimators, voting="soft", weights=weights, flatten_transform=False)
             if task == "classification" else VotingRegressor(estimators, weights=weights))
    prepare = pipelines[0][1].named_steps["prepare"] if shared else build_caster(features)
    return Pipeline([("prepare", prepare), ("model", voter)])


def _member_names(entries: list[OofEntry]) -> list[str]:
    """``family`` for a family's best configuration, ``family#2`` for its next, in ``entries`` order."""
    seen: dict[str, int] = {}
    names = []
    for entry in entries:
        seen[entry.family] = seen.get(entry.family, 0) + 1
        names.append(entry.family if seen[entry.family] == 1 else f"{entry.family}#{seen[entry.family]}")
    return names


def _greedy_ensemble(data: TrainingData, problem, recipe, split, oof: OutOfFold, deadline, seed,
                     kept: tuple[int, float] | None = None) -> Candidate:
    """Greedy ensemble selection over the out-of-fold predictions of the best configurations of each family;
    kept, fitted on the training rows and scored on validation, only when its mean score over the folds beats
    the best single configuration's. Its ``cv_scores`` are the blend's per-fold scores. Under a budget
    (``kept``: the trees and bytes the search kept file time for, ``forest_of``), the vote is fitted only when
    its fits and the files of the trees its forests hold beyond those can end by ``deadline``."""
    started = time.monotonic()
    entries = oof.ranked()
    names = _member_names(entries)
    scored = oof.fold_of_row >= 0  # a time split's first block is never predicted
    y = oof.y[scored]
    predictions = [e.prediction[scored] for e in entries]
    fold_of_row = oof.fold_of_row[scored]
    counts = greedy_selection(predictions, y, problem.metric, sizes=[e.nbytes for e in entries],
                              max_bytes=MEMBERS_MAX_BYTES).counts
    picked = [i for i in np.flatnonzero(counts)]
    ensemble_scores = fold_scores(problem.metric, y, blend([predictions[i] for i in picked], counts[picked]),
                                  fold_of_row)
    single = fold_scores(problem.metric, y, predictions[0], fold_of_row)
    sign = 1 if METRICS[problem.metric].greater_is_better else -1
    if len(picked) < 2 or sign * np.mean(ensemble_scores) <= sign * np.mean(single):
        note = (f"greedy selection over {len(entries)} configurations found no blend scoring better out of fold "
                f"than {names[0]} alone ({np.mean(ensemble_scores):.4f} against {np.mean(single):.4f})")
        return Candidate("ensemble", "skipped", None, [], {}, None, time.monotonic() - started, note)
    members = [(names[i], entries[i].params) for i in picked]
    weights = [int(counts[i]) for i in picked]
    # Its fit on the training rows, then on all rows (x1.2 and x1.5 a fold's rows): when that cannot end in time,
    # the best single model refitted on all rows is worth more than a vote fitted on the training rows alone.
    # Its forests' trees beyond those the search kept file time for (the best configuration's) make model.skops
    # dearer: a vote of 450 small trees took 4.3 s to write and load back.
    tree_counts = {i: forest_trees(entries[i].family, entries[i].params, problem.task) for i in picked}
    forests = [i for i in picked if tree_counts[i]]
    trees = sum(tree_counts[i] for i in forests)
    nbytes = sum(entries[i].nbytes for i in forests) * rows_ratio(split, int(oof.fold_of_row.max()) + 1)
    files = tree_files_seconds(max(0, trees - kept[0]), max(0.0, nbytes - kept[1])) if kept is not None else 0.0
    needed = 2.7 * sum(entries[i].fit_seconds for i in picked) + files
    left = None if deadline is None else deadline - time.monotonic()
    if left is not None and needed > left:
        what = f"fitting it and writing its {trees} trees" if files else "fitting it"
        note = (f"greedy selection chose a vote of {', '.join(name for name, _ in members)} (out of fold "
                f"{np.mean(ensemble_scores):.4f} against {np.mean(single):.4f}), but {what} would take about "
                f"{needed:.1f} s and {max(left, 0):.1f} s were left")
        return Candidate("ensemble", "skipped", None, [], {}, None, time.monotonic() - started, note)
    _, y_all, features, X, fitter = data
    pipeline = voting_pipeline(members, features, recipe, problem.task, seed, weights)
    try:
        fitted = call_before(deadline, lambda: fitter.fit(pipeline, X.iloc[split.train], y_all.iloc[split.train]))
        predict_started = time.monotonic()
        metrics, valid_predictions = evaluate(fitted, X.iloc[split.valid], y_all.iloc[split.valid], problem.task)
        predict_row = (time.monotonic() - predict_started) / max(len(split.valid), 1)
    except TimeBudgetExceeded as exc:
        return Candidate("ensemble", "skipped", None, [], {}, None, time.monotonic() - started, str(exc))
    except _FIT_ERRORS as exc:
        return Candidate("ensemble", "failed", None, [], {}, None, time.monotonic() - started, _fit_error(exc))
    return Candidate("ensemble", "ok", fitted, [float(s) for s in ensemble_scores], metrics, valid_predictions,
                     time.monotonic() - started,
                     tuning={"members": [name for name, _ in members], "params": dict(members), "weights": weights,
                             "trials": {names[i]: entries[i].trial for i in picked}},
                     predict_seconds_per_row=predict_row)


def _ensemble(data: TrainingData, problem, recipe, split, candidates, deadline, seed) -> Candidate | None:
    """Soft voting over the best families (those with probabilities) when cross-validation is off, so there are
    no out-of-fold predictions to select on; kept only when it beats each of them on validation."""
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


def _keep_best(best: dict, trial: optuna.trial.FrozenTrial, greater_is_better: bool) -> None:
    """Record ``trial`` in ``best`` (value, family) when it finished with a better value than any trial before."""
    if trial.state != optuna.trial.TrialState.COMPLETE or trial.value is None:
        return
    better = "value" not in best or (trial.value > best["value"] if greater_is_better else trial.value < best["value"])
    if better:
        best.update(value=trial.value, family=trial.user_attrs.get("family", ""))


def _best_text(best: dict, metric: str) -> str:
    if "value" not in best:
        return "no finished trial yet"
    family = f" ({best['family']})" if best["family"] else ""
    return f"best {METRICS[metric].label} so far {best['value']:.4f}{family}"
