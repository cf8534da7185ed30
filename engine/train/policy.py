"""The AutoML policy: which model families one-click training searches, with which search settings, and how a
time budget is shared between the search and the work after it.

The search runs until the time left is about what the work after it will take (``post_search_estimate``: the
refits, the calibration check, the files written at train time), estimated from what the search measured, so every
second it can use goes to finding a better model. When that work does not all fit (a slow last trial, a loaded
machine), its steps are dropped in ``SKIP_ORDER`` and the model card says which and why.

The command line (``python -m engine train --time-budget``) and the Train page's one-click AutoML both read it, so
the two cannot drift apart; the benchmark measures exactly this policy.

>>> automl_settings("regression", time_budget=60, seed=0)["models"]
['linear', 'random_forest', 'extra_trees', 'gradient_boosting', 'knn']
>>> budget_settings("classification", None, seed=0)
{'cv_folds': 3, 'seed': 0, 'time_budget': None}
"""

from __future__ import annotations

from typing import NamedTuple

from engine.train.catalog import models_for_task

__all__ = [
    "AUTOML_CV_FOLDS",
    "AUTOML_FAMILIES",
    "AUTOML_SEARCH",
    "CV_MIN_BUDGET",
    "NO_POST_SEARCH",
    "POST_SEARCH_MARGIN",
    "POST_SEARCH_STEPS",
    "SKIP_ORDER",
    "STAND_IN_MAX_SHARE",
    "VOTE_SIZE",
    "PostSearch",
    "automl_settings",
    "budget_settings",
    "post_search_estimate",
    "post_search_floor",
    "selection_budget",
    "tree_files_seconds",
]

#: The families AutoML searches (those of them that can do the task): fast, strong on tables, and different
#: enough from each other for their vote to help.
AUTOML_FAMILIES = ("linear", "random_forest", "extra_trees", "gradient_boosting", "knn")
#: How AutoML searches: one TPE study across the families, median pruning, and a vote of the best when it wins.
#: The trial count is the settings' maximum: the time budget, not the count, ends the search.
AUTOML_SEARCH = {"search": "tpe", "automl": True, "ensemble": True, "n_trials": 10_000, "pruner": "median"}
#: Cross-validation folds each AutoML trial is scored on.
AUTOML_CV_FOLDS = 3
#: Most members of the vote greedy selection builds that the estimate counts (its best configurations).
VOTE_SIZE = 3
#: Seconds. Below this budget the default families are compared on the holdout alone (cross-validation would
#: multiply each fit by its folds and leave no time for the better families); from it, AutoML searches.
CV_MIN_BUDGET = 30.0
_MIN_SELECTION_SECONDS = 0.5


def automl_settings(task: str, *, time_budget: float | None, seed: int) -> dict:
    """Training settings of an AutoML search of ``time_budget`` seconds (None: until its trials are done)."""
    families = [name for name in AUTOML_FAMILIES if name in models_for_task(task)]
    return {**AUTOML_SEARCH, "models": families, "cv_folds": AUTOML_CV_FOLDS, "seed": seed,
            "time_budget": time_budget}


def selection_budget(budget: float, elapsed: float = 0.0) -> float:
    """Seconds left of ``budget`` after ``elapsed`` (start-up): the search and the work after it share them, the
    search keeping what ``post_search_estimate`` says that work needs."""
    return max(_MIN_SELECTION_SECONDS, budget - elapsed)


def budget_settings(task: str, budget: float | None, *, seed: int, elapsed: float = 0.0) -> dict:
    """Settings of one-click training under ``budget`` seconds of which ``elapsed`` are spent: no budget, each
    default family cross-validated; under ``CV_MIN_BUDGET``, the default families on the holdout; from it, AutoML.
    The settings' ``time_budget`` is what is left of ``budget`` (``selection_budget``)."""
    if budget is None:
        return {"cv_folds": AUTOML_CV_FOLDS, "seed": seed, "time_budget": None}
    seconds = selection_budget(budget, elapsed)
    if budget >= CV_MIN_BUDGET:
        return automl_settings(task, time_budget=seconds, seed=seed)
    # Training the default families on the holdout keeps out the fixed part of the work after it (no search measures
    # fits to estimate the rest from; these are the fast families).
    kept = post_search_floor(task, budget).total
    return {"cv_folds": 0, "seed": seed, "time_budget": max(_MIN_SELECTION_SECONDS, seconds - kept)}


#: Every post-search estimate is this many times what the search measured: fits vary from run to run on a shared
#: machine, and ending late breaks the budget while stopping a little early only costs a trial or two.
POST_SEARCH_MARGIN = 1.3
#: The order the steps after the search are dropped in when they do not all fit, first dropped first, by what each
#: is worth to the user: the ONNX file first (a fast serving path that ``python -m engine export --format onnx``
#: makes later: nothing is lost); then the leaderboard's refits of the other families (only a comparison row each);
#: then the calibration check's out-of-fold refits (the check then runs on the validation rows, still never shipping
#: probabilities worse than the class shares); the refit on all rows last (it is the model: a quarter more rows to
#: learn from). The skops file is never dropped: without it a model directory only loads by trusting a pickle.
SKIP_ORDER = ("onnx", "leaderboard", "calibration", "refit")
#: The steps after the search in the order they run.
POST_SEARCH_STEPS = ("refit", "leaderboard", "calibration", "exports", "onnx")
#: The files written at train time: rows the model predicts (model.skops is checked on up to 2,000 rows, loaded back
#: and as it is; the drift reference predicts up to 5,000: ``_export_rows``), seconds per second of its fit on all
#: rows (writing and loading the model back; a forest's trees are counted apart, ``_EXPORT_PER_TREE``: 0.3 before
#: trees were packed, when a 9-class boosting vote's file took 6.2 s; now 0.9 s), and a fixed part (imports,
#: writes). model.onnx: its parity check predicts up to 2,000 rows with scikit-learn (onnxruntime's side is cheap);
#: its conversion scales with the fit; the fixed part is mostly importing onnx, skl2onnx and onnxruntime.
_CHECK_ROWS, _REFERENCE_ROWS = 2_000, 5_000
_EXPORT_PER_FIT, _EXPORT_FIXED = 0.1, 1.5
#: Seconds of the process's exit after the files: the interpreter frees the run's objects and modules (measured
#: 0.8-1.6 s at a 1-minute load of 7 on 2 cores after a 31-row run); the command line's budget counts it.
_EXIT_SECONDS = 0.6
#: Seconds per tree of a forest, and per byte of its trees (``engine.train.ensemble.fitted_nbytes``), to write
#: model.skops and load it back for its check. A forest's trees are stored as a few arrays
#: (``engine.deploy.packed_trees``), so the bytes (deflated) cost most: measured at a 1-minute load of 1.9 on 2 cores,
#: written and loaded, 0.31 s for 450 extra trees of 9 MB, 0.34 s for 100 trees of 15 MB, 0.39 s for 500 trees of
#: 16 MB (about 0.1 ms a tree and 15 ns a byte over 0.12 s fixed); kept at 1.5x for a loaded machine. Stored tree by
#: tree, skops took 5-16 ms a tree (a vote of 450 extra trees on 600 rows, 4.3 s).
_EXPORT_PER_TREE, _EXPORT_PER_BYTE = 2e-4, 2e-8
_ONNX_FIXED = 2.5
#: ONNX conversion seconds per second of the family's fit: skl2onnx walks a forest's every tree node in Python
#: (measured on a 15,600-row, 5-class table: a random forest fitted in 7 s converted and checked in 54 s);
#: the other families are small graphs, or (histogram gradient boosting) do not convert and fail fast.
_ONNX_PER_FIT = {"random_forest": 8.0, "extra_trees": 8.0}
_ONNX_PER_FIT_OTHERS = 0.3
#: Most of a time budget the search gives up for the calibration check's fold refits (the check on the validation
#: rows stands in). A dearer check is not kept time for: it runs only if time is left.
STAND_IN_MAX_SHARE = 0.15
#: The calibrator's own cross-validation on out-of-fold predictions: seconds per row and class, and fixed.
_CALIBRATOR_PER_CELL, _CALIBRATOR_FIXED = 2e-6, 0.2


def tree_files_seconds(trees: int, nbytes: float = 0.0) -> float:
    """About how many seconds ``trees`` trees of forests holding ``nbytes`` bytes add to model.skops, written and
    loaded back (margin included): what a vote's forests cost in files beyond the trees the search kept time for.

    >>> round(tree_files_seconds(100, 100 * 220 * 80), 2)
    0.07
    """
    return POST_SEARCH_MARGIN * _tree_files(trees, nbytes)


def _tree_files(trees: int, nbytes: float) -> float:
    return _EXPORT_PER_TREE * trees + _EXPORT_PER_BYTE * nbytes


class PostSearch(NamedTuple):
    """About how many seconds each step after an AutoML search takes (``POST_SEARCH_MARGIN`` included)."""

    refit: float  # the winner: its family's best (and the vote) on the training rows, then on all rows
    leaderboard: float  # the other tuned families' best on the training rows, scored on validation
    calibration: float  # the winner's out-of-fold predictions and the calibrator (0 for regression)
    exports: float  # model.skops with its check, model.joblib, the drift reference: always written
    onnx: float  # model.onnx with its parity check

    @property
    def total(self) -> float:
        return sum(self)

    def within(self, budget: float | None) -> PostSearch:
        """The time to keep under ``budget``: none for the ONNX file, which is written only with time left over
        (``python -m engine export`` makes it later, and its libraries alone add 47 MB to the process: measured,
        onnx, skl2onnx and onnxruntime imported); the calibration check, when it would take more than
        ``STAND_IN_MAX_SHARE`` of the budget, counts as its stand-in (the check on the validation rows, about the
        calibrator's fit). The search is worth more than a file made later or a check on more rows: keeping ONNX
        time for the best single model stopped a 60 s search on affairs 8 s early, and its winner, a vote of forests,
        was then too dear to convert."""
        if budget is None:
            return self
        limit = STAND_IN_MAX_SHARE * budget
        on_validation = POST_SEARCH_MARGIN * _CALIBRATOR_FIXED
        return self._replace(onnx=0.0, calibration=self.calibration if self.calibration <= limit else on_validation)

    def kept_for_later(self, step: str) -> float:
        """Seconds the steps after ``step`` need that are worth more than it (``SKIP_ORDER``; the exports always)."""
        rank = {name: SKIP_ORDER.index(name) if name in SKIP_ORDER else len(SKIP_ORDER) for name in POST_SEARCH_STEPS}
        later = POST_SEARCH_STEPS[POST_SEARCH_STEPS.index(step) + 1:]
        return sum(getattr(self, name) for name in later if rank[name] > rank[step])

    def ends_by(self, step: str, deadline: float | None) -> float | None:
        """When ``step`` must end (time.monotonic) so the later steps worth more keep their time; None: no budget."""
        return None if deadline is None else deadline - self.kept_for_later(step)

    def starts_by(self, step: str, deadline: float | None) -> float | None:
        """The latest moment ``step`` may start and still end by ``ends_by``; None: no budget."""
        return None if deadline is None else deadline - self.kept_for_later(step) - getattr(self, step)


#: No post-search work known: every step fits (no budget, or nothing measured yet).
NO_POST_SEARCH = PostSearch(0.0, 0.0, 0.0, 0.0, 0.0)


def post_search_floor(task: str, budget: float | None = None) -> PostSearch:
    """The work after training before any fit is measured: its fixed part (files, calibrator), ONNX as
    ``PostSearch.within`` counts it for ``budget``.

    >>> round(post_search_floor("classification").total, 2), round(post_search_floor("regression", 20.0).total, 2)
    (6.24, 2.73)
    """
    return post_search_estimate([], winner_fit=0.0, rows_ratio=1.0, task=task, oof_reused=True).within(budget)


def post_search_estimate(family_fits: list[float], *, winner_fit: float, rows_ratio: float, task: str,
                         predict_row: float = 0.0, families: tuple[str, ...] = (), folds: int = AUTOML_CV_FOLDS,
                         oof_reused: bool = False, oof_cells: int = 0, trees: int = 0,
                         rows: int | None = None, selection: float = 0.0, tree_bytes: float = 0.0,
                         vote_fits: list[float] | None = None) -> PostSearch:
    """The seconds of each step after an AutoML search, from what the search measured.

    ``family_fits``: one fold's fit of each tuned family's best trial, best family first; ``winner_fit``: the fit
    the winner's refit, calibration and files scale with (a fold's fit during the search, its fit on the training
    rows after); ``rows_ratio``: all training and validation rows over the rows ``winner_fit`` learnt from;
    ``predict_row``: the winner's seconds to predict one row; ``families``: the winner's (the vote's members);
    ``oof_reused``: the calibration check reads the search's out-of-fold probabilities (``oof_cells`` rows x
    classes) instead of refitting ``folds`` folds; ``trees``: how many trees the winner's forests hold, and
    ``tree_bytes`` how many bytes (the files);
    ``rows``: the table's rows, which bound the rows the files' checks predict (None: as many as they can take);
    ``selection``: the seconds greedy ensemble selection will take to choose the vote (0: no vote to choose);
    ``vote_fits``: one fold's fit of each member of the vote greedy selection picks from the search's out-of-fold
    predictions as they stand (fewer than two: no vote); None, not known: a vote of the best ``VOTE_SIZE``
    families, the dearest it is likely to be.

    >>> estimate = post_search_estimate([2.0, 1.0], winner_fit=2.0, rows_ratio=1.5, task="regression",
    ...                                 predict_row=1e-4)
    >>> [round(seconds, 2) for seconds in estimate]
    [11.31, 1.56, 0.0, 4.29, 4.68]
    """
    if vote_fits is None:
        top = family_fits[:VOTE_SIZE]
        vote = 0.5 * 1.2 * sum(top) if len(top) > 1 else 0.0  # one shared preprocessing: cheaper than its members
    else:  # the members greedy selection picks: their fits as measured
        top = vote_fits
        vote = 1.2 * sum(top) if len(top) > 1 else 0.0
    # The best family on 1.2x a fold's rows, the vote, then the winner (perhaps the vote) on all rows.
    refit = 1.2 * winner_fit + selection + vote + rows_ratio * max(winner_fit, sum(top) if vote else winner_fit)
    leaderboard = 1.2 * sum(family_fits[1:])
    calibrator = _CALIBRATOR_FIXED + _CALIBRATOR_PER_CELL * oof_cells
    calibration = 0.0 if task != "classification" else calibrator + (0.0 if oof_reused else folds * winner_fit)
    check_rows = _CHECK_ROWS if rows is None else min(_CHECK_ROWS, rows)
    export_rows = 2 * check_rows + (_REFERENCE_ROWS if rows is None else min(_REFERENCE_ROWS, rows))
    exports = (_EXPORT_FIXED + _EXIT_SECONDS + export_rows * predict_row + _EXPORT_PER_FIT * winner_fit * rows_ratio
               + _tree_files(trees, tree_bytes))
    conversion = max((_ONNX_PER_FIT.get(family, _ONNX_PER_FIT_OTHERS) for family in families),
                     default=_ONNX_PER_FIT_OTHERS)
    onnx = _ONNX_FIXED + check_rows * predict_row + conversion * winner_fit * rows_ratio
    return PostSearch(*(POST_SEARCH_MARGIN * s for s in (refit, leaderboard, calibration, exports, onnx)))
