"""Calibration: whether a classifier's probabilities mean something, and calibrating them when that helps.

A model chosen by F1 or accuracy can rank rows well and still give probabilities worse than predicting the class
shares (the prior). ``calibrate_winner`` checks the winner's out-of-fold probabilities against the prior and against
scikit-learn's calibrations (sigmoid, and isotonic with enough rows), each calibration judged on rows it was not
fitted on (the calibrator is cross-validated on the out-of-fold predictions: a 1-D fit per class, cheap).
``calibrated_pipeline`` then wraps the fitted model step in a ``CalibratedClassifierCV``, so the model stays one
scikit-learn Pipeline that joblib, skops and skl2onnx all handle.

>>> import numpy as np
>>> y = np.array(["a", "b"] * 50)
>>> check = check_calibration(np.tile([[0.5]], (100, 1)), np.tile([[0.5, 0.5]], (100, 1)), y, ["a", "b"])
>>> check.method is None, round(check.log_loss["prior"], 4)
(True, 0.6931)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV, _fit_calibrator
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from engine.errors import TrainingError
from engine.train.policy import POST_SEARCH_MARGIN
from engine.train.training import TimeBudgetExceeded, call_before

__all__ = [
    "CALIBRATION_FOLDS",
    "ISOTONIC_MIN_ROWS",
    "MIN_GAIN",
    "CalibrationCheck",
    "OutOfFold",
    "calibrate_winner",
    "calibrated_pipeline",
    "calibration_response",
    "check_calibration",
    "out_of_fold",
    "prior_log_loss",
    "response_method",
    "skipped",
]

#: Fewest rows isotonic calibration is tried on; below it, isotonic regression overfits (scikit-learn's guidance:
#: sigmoid for small calibration sets, isotonic for about 1,000 rows and more).
ISOTONIC_MIN_ROWS = 1_000
#: Relative log-loss gain a calibration must bring to be applied to probabilities that already beat the prior.
MIN_GAIN = 0.01
#: Folds the calibrator itself is cross-validated on, over the out-of-fold predictions.
CALIBRATION_FOLDS = 5
_METHODS = ("sigmoid", "isotonic")
_NAMES = {"sigmoid": "sigmoid (Platt) scaling", "isotonic": "isotonic regression"}


class OutOfFold(NamedTuple):
    """A model's predictions on rows it was not fitted on: ``response`` is what a calibrator reads (the decision
    function when the model has one, else the probability of each class; one column for two classes),
    ``proba`` the probabilities (``classes`` order), ``rows`` the positions predicted (a time split never
    predicts its first block)."""

    response: np.ndarray
    proba: np.ndarray
    rows: np.ndarray


class CalibrationCheck(NamedTuple):
    """What the check found: each option's log loss on rows it was not fitted on ("raw", "prior", "sigmoid",
    "isotonic"), the calibration to apply (None: keep the model's own probabilities), and why."""

    status: str  # "checked" | "skipped"
    method: str | None
    log_loss: dict[str, float]
    rows: int
    source: str  # where the predictions came from, in words ("out-of-fold predictions over 5 folds")
    class_shares: dict[str, float]
    reason: str
    warning: str  # non-empty when even the shipped probabilities are no better than the class shares
    response: np.ndarray | None = None
    y: np.ndarray | None = None
    classes: np.ndarray | None = None
    sample_weight: np.ndarray | None = None
    calibrated_proba: np.ndarray | None = None  # the chosen calibration's cross-validated probabilities per row

    @property
    def applied(self) -> bool:
        return self.method is not None

    def record(self) -> dict:
        """The check as plain values for a model card."""
        return {"status": self.status, "applied": self.applied, "method": self.method,
                "log_loss": {k: round(v, 6) for k, v in self.log_loss.items()}, "rows": self.rows,
                "source": self.source, "class_shares": self.class_shares, "reason": self.reason,
                "warning": self.warning}


def skipped(reason: str) -> CalibrationCheck:
    """A check that could not run, saying why (kept in the card like a finished one)."""
    return CalibrationCheck("skipped", None, {}, 0, "", {}, reason, "")


def response_method(pipeline) -> str:
    """What a calibrator of ``pipeline`` reads, as ``CalibratedClassifierCV`` does: its decision function when it
    has one, else its probabilities."""
    return "decision_function" if hasattr(pipeline, "decision_function") else "predict_proba"


def _response(model, X, method: str, n_classes: int) -> np.ndarray:
    values = np.asarray(getattr(model, method)(X), dtype=float)
    if n_classes == 2:
        values = values[:, 1] if values.ndim == 2 else values
        return values.reshape(-1, 1)
    return values


def calibration_response(model, X, n_classes: int) -> np.ndarray:
    """What a calibrator of the fitted ``model`` reads on the rows ``X`` (``response_method``; one column for two
    classes: the second class's)."""
    return _response(model, X, response_method(model), n_classes)


def out_of_fold(pipeline, X: pd.DataFrame, y: pd.Series, folds: list, *, fit: Callable | None = None,
                deadline: float | None = None) -> OutOfFold:
    """Fit a fresh copy of ``pipeline`` on each fold's fit rows (``fit(pipeline, X, y)``, default clone-and-fit)
    and predict its score rows. Raises TimeBudgetExceeded past ``deadline``, TrainingError when a fold's model
    did not see every class (its probabilities would not line up)."""
    fit = fit or (lambda p, X_, y_: clone(p).fit(X_, y_))
    classes = np.unique(np.asarray(y))
    method = response_method(pipeline)
    width = 1 if len(classes) == 2 else len(classes)
    response, proba = np.zeros((len(X), width)), np.zeros((len(X), len(classes)))
    predicted = np.zeros(len(X), dtype=bool)
    for fit_rows, score_rows in folds:
        model = call_before(deadline, lambda rows=fit_rows: fit(pipeline, X.iloc[rows], y.iloc[rows]))
        if not np.array_equal(np.asarray(model.classes_), classes):
            raise TrainingError(f"A cross-validation fold's model saw the classes {list(model.classes_)}, not all "
                                f"of {list(classes)}; its probabilities cannot be checked.")
        rows = X.iloc[score_rows]
        response[score_rows] = _response(model, rows, method, len(classes))
        proba[score_rows] = model.predict_proba(rows)
        predicted[score_rows] = True
    kept = np.flatnonzero(predicted)
    return OutOfFold(response[kept], proba[kept], kept)


class _GivenResponse(ClassifierMixin, BaseEstimator):
    """Stands in for a fitted model whose responses are already known: its decision function is its input. Lets
    the calibrator be fitted and applied exactly as ``CalibratedClassifierCV`` does it, on precomputed predictions."""

    def __init__(self, classes):
        self.classes = classes

    def fit(self, X, y=None):
        self.classes_ = np.asarray(self.classes)
        return self

    def decision_function(self, X):
        X = np.asarray(X, dtype=float)
        return X[:, 0] if X.shape[1] == 1 else X


def _calibrated_proba(response_fit, y_fit, response_apply, classes, method, weight) -> np.ndarray:
    stand_in = _GivenResponse(classes).fit(None)
    fitted = _fit_calibrator(stand_in, response_fit, y_fit, classes, method, xp=np, sample_weight=weight)
    return fitted.predict_proba(response_apply)


def _cross_validated(response, y, classes, method, weight, seed) -> np.ndarray:
    """Each row's calibrated probabilities from a calibrator fitted on the other folds."""
    folds = min(CALIBRATION_FOLDS, int(pd.Series(y).value_counts().min()))
    out = np.zeros((len(y), len(classes)))
    for fit_rows, score_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(response, y):
        w = None if weight is None else weight[fit_rows]
        out[score_rows] = _calibrated_proba(response[fit_rows], y[fit_rows], response[score_rows], classes, method, w)
    return out


def prior_log_loss(y, classes, sample_weight=None) -> tuple[float, dict[str, float]]:
    """Log loss of predicting every row's class shares (weighted by ``sample_weight``), and the shares."""
    y = np.asarray(y)
    weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    shares = np.array([weight[y == c].sum() for c in classes]) / weight.sum()
    loss = float(log_loss(y, np.tile(shares, (len(y), 1)), labels=classes, sample_weight=sample_weight))
    return loss, {str(c): round(float(s), 6) for c, s in zip(classes, shares, strict=True)}


def check_calibration(response, proba, y, classes, *, sample_weight=None, seed: int = 0,
                      source: str = "out-of-fold predictions") -> CalibrationCheck:
    """Compare the model's probabilities (``proba``, rows it was not fitted on) with the class shares and with each
    calibration of its ``response`` cross-validated on these rows; choose what to ship.

    A calibration is applied when it lowers the log loss by ``MIN_GAIN`` (relative), or at all when the model's own
    probabilities are no better than the class shares: probabilities worse than the prior are never kept.
    """
    y, classes = np.asarray(y), np.asarray(classes)
    response, proba = np.asarray(response, dtype=float), np.asarray(proba, dtype=float)
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    prior, shares = prior_log_loss(y, classes, weight)
    losses = {"raw": float(log_loss(y, proba, labels=classes, sample_weight=weight)), "prior": prior}
    methods = [m for m in _METHODS if m != "isotonic" or len(y) >= ISOTONIC_MIN_ROWS]
    calibrated: dict[str, np.ndarray] = {}
    if pd.Series(y).value_counts().min() >= 2:
        for method in methods:
            calibrated[method] = _cross_validated(response, y, classes, method, weight, seed)
            losses[method] = float(log_loss(y, calibrated[method], labels=classes, sample_weight=weight))
    raw, tried = losses["raw"], [m for m in methods if m in losses]
    best = min(tried, key=losses.get) if tried else None
    better = best is not None and losses[best] < raw
    method = best if better and (losses[best] < raw * (1 - MIN_GAIN) or raw >= prior) else None
    shipped = losses[method] if method else raw
    return CalibrationCheck("checked", method, losses, len(y), source, shares,
                            _reason(losses, method, tried, len(y)), _warning(shipped, prior, method),
                            response, y, classes, weight, calibrated.get(method) if method else None)


def _reason(losses: dict[str, float], method: str | None, tried: list[str], rows: int) -> str:
    raw, prior = losses["raw"], losses["prior"]
    others = ", ".join(f"{m} {losses[m]:.4f}" for m in tried)
    note = "" if len(tried) == len(_METHODS) else f"; isotonic needs {ISOTONIC_MIN_ROWS:,} rows, {rows:,} checked"
    if method:
        return (f"Calibrated with {_NAMES[method]}: log loss {raw:.4f} → {losses[method]:.4f} on rows it was not "
                f"fitted on (class shares alone: {prior:.4f}; {others}{note}).")
    if not tried:
        return f"Not calibrated: a class has fewer than 2 rows among the {rows:,} checked."
    return (f"Left as trained: its log loss {raw:.4f} beats the class shares ({prior:.4f}) and no calibration "
            f"lowers it by {MIN_GAIN:.0%} ({others}{note}).")


def _warning(shipped: float, prior: float, method: str | None) -> str:
    if shipped < prior:
        return ""
    what = f"Even calibrated ({_NAMES[method]}), this" if method else "This"
    return (f"{what} model's probabilities are no better than predicting the class shares: log loss "
            f"{shipped:.4f} against {prior:.4f}. Do not read its probabilities as chances; use its predicted "
            "classes only, or train with more rows or features.")


def calibrate_winner(pipeline, X: pd.DataFrame, y: pd.Series, folds: list, *, fit: Callable | None = None,
                     oof_proba: np.ndarray | None = None, deadline: float | None = None, sample_weight=None,
                     seed: int = 0, fit_seconds: float | None = None) -> CalibrationCheck:
    """Check (and choose a calibration of) the classifier ``pipeline`` (unfitted, or fitted: it is cloned) on the
    training rows (X, y) and their cross-validation ``folds`` (``training.cv_folds``).

    ``oof_proba`` (rows × classes in sorted class order; NaN rows: not predicted, as a time split's first block)
    saves the refits when the caller has them, as the AutoML search does (``Candidate.oof_proba``): made over the
    same folds, they give the check the refits would. They are used for a model answering with probabilities, and
    recomputed for one whose calibrator reads its decision function. Past ``deadline`` the check is skipped, saying
    so; also when refitting the folds, each about ``fit_seconds`` (a fit on all of X) times the share of rows it
    fits on, with ``POST_SEARCH_MARGIN``, would end past it (an abandoned fit would still run).
    """
    if not folds:
        return skipped("Not checked: cross-validation is off, so there are no out-of-fold predictions to check "
                       "the probabilities on.")
    classes = np.unique(np.asarray(y))
    folds_text = f"out-of-fold predictions over {len(folds)} folds"
    if oof_proba is not None and response_method(pipeline) == "predict_proba":
        proba = np.asarray(oof_proba, dtype=float)
        if proba.shape != (len(y), len(classes)):
            raise TrainingError(f"Out-of-fold probabilities must have one row per training row and one column per "
                                f"class, {(len(y), len(classes))}. Got {proba.shape} instead.")
        rows = np.flatnonzero(~np.isnan(proba).any(axis=1))
        proba = proba[rows] / proba[rows].sum(axis=1, keepdims=True)  # stored as float32: rows sum to 1 again
        response = proba[:, 1:] if len(classes) == 2 else proba
    else:
        need = _refit_seconds(folds, len(y), fit_seconds)
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and 0 < left < need:
            return skipped(f"Not checked: refitting the {len(folds)} folds for out-of-fold predictions would take "
                           f"about {need:.1f} s and {left:.1f} s were left.")
        try:
            response, proba, rows = out_of_fold(pipeline, X, y, folds, fit=fit, deadline=deadline)
        except TimeBudgetExceeded:
            return skipped("Not checked: the time budget ran out before the out-of-fold predictions were made.")
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[rows]
    return check_calibration(response, proba, np.asarray(y)[rows], classes, sample_weight=weight, seed=seed,
                             source=folds_text)


def _refit_seconds(folds: list, rows: int, fit_seconds: float | None) -> float:
    """About how long refitting ``folds`` takes, from a fit on all ``rows`` (0 when unknown)."""
    if not fit_seconds:
        return 0.0
    return POST_SEARCH_MARGIN * fit_seconds * sum(len(fit_rows) for fit_rows, _ in folds) / max(rows, 1)


def calibrated_pipeline(fitted: Pipeline, check: CalibrationCheck) -> Pipeline:
    """``fitted`` with its model step wrapped in a ``CalibratedClassifierCV`` holding the fitted model and the
    calibrator of ``check.method`` fitted on all the checked rows (what ``CalibratedClassifierCV(ensemble=False)``
    builds, without refitting the model); ``fitted`` itself when no calibration was chosen."""
    if check.method is None:
        return fitted
    if check.response is None:
        raise TrainingError("This calibration check kept no predictions to fit its calibrator on.")
    model = fitted.steps[-1][1]
    if not np.array_equal(np.asarray(model.classes_), check.classes):
        raise TrainingError(f"The model's classes {list(model.classes_)} differ from the checked ones "
                            f"{list(check.classes)}.")
    wrapper = CalibratedClassifierCV(clone(model), method=check.method, ensemble=False)
    wrapper.calibrated_classifiers_ = [_fit_calibrator(model, check.response, check.y, check.classes, check.method,
                                                       xp=np, sample_weight=check.sample_weight)]
    wrapper.classes_ = check.classes
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(model, name):
            setattr(wrapper, name, getattr(model, name))
    return Pipeline([*fitted.steps[:-1], (fitted.steps[-1][0], wrapper)])
