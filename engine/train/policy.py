"""The AutoML policy: which model families one-click training searches, with which search settings, and how a
time budget is shared between choosing a model and refitting it on all rows.

The command line (``python -m engine train --time-budget``) and the Train page's one-click AutoML both read it, so
the two cannot drift apart; the benchmark measures exactly this policy.

>>> automl_settings("regression", time_budget=60, seed=0)["models"]
['linear', 'random_forest', 'extra_trees', 'gradient_boosting', 'knn']
>>> budget_settings("classification", None, seed=0)
{'cv_folds': 3, 'seed': 0, 'time_budget': None}
"""

from __future__ import annotations

from engine.train.catalog import models_for_task

__all__ = [
    "AUTOML_CV_FOLDS",
    "AUTOML_FAMILIES",
    "AUTOML_SEARCH",
    "CV_MIN_BUDGET",
    "SELECTION_SHARE",
    "automl_settings",
    "budget_settings",
    "selection_budget",
]

#: The families AutoML searches (those of them that can do the task): fast, strong on tables, and different
#: enough from each other for their vote to help.
AUTOML_FAMILIES = ("linear", "random_forest", "extra_trees", "gradient_boosting", "knn")
#: How AutoML searches: one TPE study across the families, median pruning, and a vote of the best when it wins.
#: The trial count is the settings' maximum: the time budget, not the count, ends the search.
AUTOML_SEARCH = {"search": "tpe", "automl": True, "ensemble": True, "n_trials": 10_000, "pruner": "median"}
#: Cross-validation folds each AutoML trial is scored on.
AUTOML_CV_FOLDS = 3
#: Share of a time budget spent choosing a model; the rest refits the chosen one on all rows.
SELECTION_SHARE = 0.75
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
    """Seconds left for choosing a model out of ``budget``, after ``elapsed`` (start-up), keeping the refit's share."""
    return max(_MIN_SELECTION_SECONDS, budget * SELECTION_SHARE - elapsed)


def budget_settings(task: str, budget: float | None, *, seed: int, elapsed: float = 0.0) -> dict:
    """Settings of one-click training under ``budget`` seconds of which ``elapsed`` are spent: no budget, each
    default family cross-validated; under ``CV_MIN_BUDGET``, the default families on the holdout; from it, AutoML.
    The settings' ``time_budget`` is the selection's share (``selection_budget``)."""
    if budget is None:
        return {"cv_folds": AUTOML_CV_FOLDS, "seed": seed, "time_budget": None}
    seconds = selection_budget(budget, elapsed)
    if budget >= CV_MIN_BUDGET:
        return automl_settings(task, time_budget=seconds, seed=seed)
    return {"cv_folds": 0, "seed": seed, "time_budget": seconds}
