"""How long the work after an AutoML search will take, from what the search measured: the estimate the search
stops by (``post_search``, with the vote greedy selection would pick: ``VoteForecast``) and the one the steps after
it start by (``winner_post_search``), both through ``engine.train.policy.post_search_estimate``.

Split from ``engine.train.automl`` (the search and the steps after it), which reads these estimates."""

from __future__ import annotations

import time

import numpy as np
import optuna
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from engine.prepare.split import Split
from engine.train.catalog import make_estimator
from engine.train.ensemble import GREEDY_ROUNDS, MEMBERS_MAX_BYTES, fitted_nbytes, greedy_selection, prediction_score
from engine.train.policy import VOTE_SIZE, PostSearch, post_search_estimate, post_search_floor
from engine.train.training import Candidate
from engine.train.tuning import OofEntry, OutOfFold, best_params_by_family

__all__ = ["VoteForecast", "fitted_trees", "fold_fit_seconds", "forest_of", "forest_trees", "member_family",
           "next_trial_seconds", "oof_entry", "post_search", "rows_ratio", "selection_seconds", "table_rows",
           "timed_trial", "training_fit_seconds", "winner_post_search"]

_RECENT_TRIALS = 5  # finished trials whose median says how long the next one will about take
_SCORE_TIMINGS = 5  # scores timed for the greedy selection's estimate (their median)
_FORECAST_SPACING = 20  # a vote forecast (``VoteForecast``) waits at least this many times a selection's cost
_FORESTS = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)


class VoteForecast:
    """The vote greedy selection would pick from the search's out-of-fold store as it stands: its members' families
    and fold fits, what the refit's estimate counts (the dearest likely vote, the best families' together, was
    measured at 15 s on a 22,500-row table whose picked vote took 1.8 s, and the search stopped 25 s early).

    Selection is rerun only when the store has changed, and at most once every ``_FORECAST_SPACING`` times its own
    cost (``selection_seconds``), so forecasting takes at most about 1/``_FORECAST_SPACING`` of the search."""

    def __init__(self) -> None:
        self.keys: tuple = ()
        self.at = -np.inf
        self.members: list[OofEntry] = []

    def update(self, oof: OutOfFold, metric: str, selection: float) -> None:
        entries = oof.ranked()
        keys = tuple((e.family, e.trial) for e in entries)
        now = time.monotonic()
        if len(entries) < 2 or keys == self.keys or now - self.at < _FORECAST_SPACING * selection:
            return
        scored = oof.fold_of_row >= 0
        counts = greedy_selection([e.prediction[scored] for e in entries], oof.y[scored], metric,
                                  sizes=[e.nbytes for e in entries], max_bytes=MEMBERS_MAX_BYTES).counts
        self.keys, self.at = keys, time.monotonic()
        # Selection keeps a blend only when it scores better than the best single configuration (round one's).
        self.members = [entry for entry, count in zip(entries, counts, strict=True) if count]

    @property
    def fits(self) -> list[float] | None:
        """Each member's fold fit (one member: no vote); None before any forecast."""
        return [entry.fit_seconds for entry in self.members] if self.members else None

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(entry.family for entry in self.members)


def post_search(study: optuna.Study, oof: OutOfFold, task: str, split: Split, folds: int, seed: int,
                selection: float = 0.0, vote: VoteForecast | None = None) -> PostSearch:
    """About how long each step after this AutoML study takes (``policy.post_search_estimate``), from the fold fits
    of each family's best trial, best family first. The calibration check reuses the search's out-of-fold
    probabilities when the best trial's were kept and its model answers with probabilities (one whose calibrator
    reads a decision function refits the folds). The files count the trees of the best trial's forest (the model
    that ships when no vote beats it; a vote holding more trees is fitted only when their files fit too:
    ``_greedy_ensemble``); ``selection``: the seconds greedy selection takes (``selection_seconds``); ``vote``: the
    vote it would pick now (None: the dearest likely one)."""
    best = best_params_by_family(study)
    if not best:
        return post_search_floor(task)
    sign = 1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1
    ranked = sorted((trial for _, trial in best.values()), key=lambda t: -sign * t.value)
    timed = [timed_trial(study, t) for t in ranked]
    fits = [fold_fit_seconds(t) for t in timed]
    family = ranked[0].user_attrs.get("family", "")
    forecast = vote.fits if vote is not None else None
    voting = forecast is not None and len(forecast) > 1
    # A soft vote's calibrator reads its blended out-of-fold probabilities; a single model's, when it has no
    # decision function (a calibrator reads that one, so its folds are refitted).
    reused = task == "classification" and (voting or (
        oof_entry(oof, family, ranked[0].number) is not None
        and not hasattr(make_estimator(family, task, seed, {}), "decision_function")))
    cells = len(split.train) * (len(oof.classes) if oof.classes is not None else 1)
    trees, tree_bytes = forest_of(best[family][0], ranked[0], oof, task, rows_ratio(split, folds))
    families = (vote.families if voting else (family,) if forecast is not None
                else tuple(t.user_attrs.get("family", "") for t in ranked[:VOTE_SIZE]))
    return post_search_estimate(fits, winner_fit=fits[0], rows_ratio=rows_ratio(split, folds), task=task,
                                predict_row=float(timed[0].user_attrs.get("predict_seconds_per_row", 0.0)),
                                families=families, folds=folds, oof_reused=reused, oof_cells=cells,
                                rows=table_rows(split), trees=trees, tree_bytes=tree_bytes, selection=selection,
                                vote_fits=forecast)


def timed_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> optuna.trial.FrozenTrial:
    """The trial whose fit and prediction times stand for ``trial``'s: itself, unless it is the study's first, whose
    times also hold the process's warm-up (lazy imports, first calls: on a 31-row table the first trial's fold fit
    took 1.8 s and the next 0.1 s; a slow first prediction once kept 24 s of a 30 s budget for the files); then its
    family's latest other finished trial, when there is one."""
    if trial.number != 0:
        return trial
    family = trial.user_attrs.get("family")
    others = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
              if t.number != 0 and t.user_attrs.get("family") == family]
    return others[-1] if others else trial


def forest_trees(family: str, params: dict, task: str) -> int:
    """How many trees a configuration fits: a forest's ``n_estimators``, 0 for a model that is not a forest."""
    estimator = make_estimator(family, task, 0, params)
    return int(estimator.n_estimators) if isinstance(estimator, _FORESTS) else 0


def forest_of(params: dict, trial: optuna.trial.FrozenTrial, oof: OutOfFold, task: str,
               rows_ratio: float) -> tuple[int, float]:
    """The trees of the configuration of ``trial`` (0 when it is not a forest) and about how many bytes they hold
    fitted on all rows: its fold model's (when the search kept its out-of-fold predictions) x ``rows_ratio`` (a tree
    grows with its rows). For the best trial, the model that ships when no vote wins."""
    family = trial.user_attrs.get("family", "")
    trees = forest_trees(family, params, task)
    entry = oof_entry(oof, family, trial.number) if trees else None
    return trees, (entry.nbytes * rows_ratio if entry is not None else 0.0)


def selection_seconds(oof: OutOfFold, metric: str, measured: dict[str, float], blending: bool) -> float:
    """About how long greedy ensemble selection over the search's out-of-fold store takes: each of its rounds
    scores every kept configuration (``ensemble.prediction_score``: about 2-9 ms on 4,000 rows, so 250 of them
    took 1.6-2.2 s on a loaded machine). A score is timed on the search's rows the first time (``measured``): the
    median of a few, as one alone can be a pause of the process (a time slice lost on a busy machine)."""
    entries = oof.ranked()
    if not blending or len(entries) < 2:
        return 0.0
    if "score" not in measured:
        scored = oof.fold_of_row >= 0
        y, prediction = oof.y[scored], entries[0].prediction[scored]
        times = []
        for _ in range(_SCORE_TIMINGS):
            started = time.monotonic()
            prediction_score(metric, y, prediction)
            times.append(time.monotonic() - started)
        measured["score"] = float(np.median(times))
    return GREEDY_ROUNDS * len(entries) * measured["score"]


def fitted_trees(model) -> int:
    """How many fitted trees of forests ``model`` holds (a pipeline, a vote of pipelines, a forest)."""
    model = model.steps[-1][1] if hasattr(model, "steps") else model
    members = getattr(model, "estimators_", None)
    if not isinstance(members, list) or not members:
        return 0
    if all(hasattr(member, "tree_") for member in members):
        return len(members)
    return sum(fitted_trees(member) for member in members)


def winner_post_search(winner: Candidate, split: Split, task: str, folds: int, budget: float | None) -> PostSearch:
    """About how long the steps after the search take for the chosen ``winner`` (``policy.post_search_estimate``),
    from its own fit on the training rows and its predictions of the validation rows; ``budget`` (seconds) decides
    whether the ONNX file counts (``PostSearch.within``). Its calibration check reuses ``winner.oof_proba`` when it
    has them and its model answers with probabilities."""
    tuning = winner.tuning or {}
    train_fit = training_fit_seconds(winner, split)
    fold_fit = train_fit * (folds - 1) / folds if folds >= 2 else train_fit
    families = tuple(member_family(name) for name in tuning.get("members", [])) or (winner.model,)
    reused = winner.oof_proba is not None and not hasattr(winner.pipeline, "decision_function")
    cells = int(np.size(winner.oof_proba)) if winner.oof_proba is not None else 0
    trees = fitted_trees(winner.pipeline) if winner.pipeline is not None else 0
    return post_search_estimate([], winner_fit=fold_fit, rows_ratio=rows_ratio(split, folds), task=task,
                                predict_row=winner.predict_seconds_per_row, families=families,
                                folds=max(folds, 2), oof_reused=reused, oof_cells=cells,
                                trees=trees, tree_bytes=fitted_nbytes(winner.pipeline) if trees else 0,
                                rows=table_rows(split)).within(budget)


def training_fit_seconds(candidate: Candidate, split: Split) -> float:
    """About how long ``candidate``'s fit on the training rows took: its fit seconds, less its refit on all rows
    (taken as that fit scaled to the rows) when it was refitted."""
    if not (candidate.tuning or {}).get("refitted"):
        return candidate.fit_seconds
    return candidate.fit_seconds / (1 + (len(split.train) + len(split.valid)) / max(len(split.train), 1))


def table_rows(split: Split) -> int:
    """Every row of the split's table: what bounds the rows the files' checks predict."""
    return len(split.train) + len(split.valid) + len(split.test)


def rows_ratio(split: Split, folds: int) -> float:
    """The training and validation rows over the rows a cross-validation fold fits on."""
    fold_rows = len(split.train) * (folds - 1) / folds if folds >= 2 else len(split.train)
    return (len(split.train) + len(split.valid)) / max(fold_rows, 1.0)


def fold_fit_seconds(trial: optuna.trial.FrozenTrial) -> float:
    """One fold's fit of ``trial``: as the objective measured it, else its duration over its folds."""
    if "fit_seconds" in trial.user_attrs:
        return float(trial.user_attrs["fit_seconds"])
    if trial.duration is None:
        return 0.0
    return trial.duration.total_seconds() / max(len(trial.user_attrs.get("fold_scores", [])), 1)


def next_trial_seconds(study: optuna.Study) -> float:
    """About how long the next trial takes: the median fit time of the last finished trials, over all folds."""
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))[-_RECENT_TRIALS:]
    if not done:
        return 0.0
    return float(np.median([fold_fit_seconds(t) * max(len(t.user_attrs.get("fold_scores", [])), 1)
                            for t in done]))


def oof_entry(oof: OutOfFold, family: str, trial: int) -> OofEntry | None:
    return next((e for e in oof.ranked() if e.family == family and e.trial == trial), None)


def member_family(name: str) -> str:
    """The family of an ensemble member's name (``gradient_boosting#2`` is a second gradient boosting).

    >>> member_family("gradient_boosting#2"), member_family("linear")
    ('gradient_boosting', 'linear')
    """
    return name.split("#")[0]
