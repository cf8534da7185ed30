"""Leakage audit: columns that predict the target too well to be honest features.

Each column alone is fed to a shallow decision tree (3-fold cross-validation on a sample of the training rows).
A column that is a copy of the target, that predicts it almost perfectly, or an identifier that predicts it at all
is reported with the evidence; the full per-column table comes along for transparency.

>>> import pandas as pd
>>> frame = pd.DataFrame({"refund": [0.0, 5.0] * 20, "age": [30.0, 30.0, 41.0, 41.0] * 10})
>>> y = pd.Series(["stay", "churn"] * 20)
>>> result = audit_leakage(frame, y, [], "churned", "classification")
>>> [(f.column, f.reason, f.metric, f.score) for f in result.findings]
[('refund', 'copy_of_target', 'match', 1.0)]
>>> result.scores[["column", "kind", "metric"]].to_dict("records")[0]
{'column': 'refund', 'kind': 'numeric', 'metric': 'ROC-AUC'}
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn import config_context
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from engine.data.problem import Problem
from engine.data.schema import ColumnInfo, convert_series, infer_schema
from engine.errors import TargetError
from engine.prepare.split import split_rows
from engine.train.training import prepare_target

__all__ = ["AuditResult", "LeakFinding", "audit_leakage", "audit_training_rows"]

MIN_AUC, MIN_R2 = 0.97, 0.95  # predicts_target: a single column this strong is suspicious
ID_MIN_AUC, ID_MIN_R2 = 0.75, 0.5  # identifier_shortcut: an identifier should not predict anything
COPY_MIN_RHO = 0.999  # copy_of_target (regression): |Spearman rho| with the target
COPY_MIN_COVERAGE = 0.95  # copy_of_target: share of rows with a value
ID_DISTINCT_SHARE = 0.90  # a label column with this share of distinct values behaves like an identifier
_FOLDS, _DEPTH, _MIN_ROWS = 3, 4, 10


class LeakFinding(NamedTuple):
    """One suspicious column: why (``reason``), how strong (``score`` in ``metric``) and what to do."""

    column: str
    reason: str  # "copy_of_target" | "predicts_target" | "identifier_shortcut"
    score: float
    metric: str
    message: str


class AuditResult(NamedTuple):
    """The findings, and every column's single-feature score (column, kind, score, metric), best first."""

    findings: list[LeakFinding]
    scores: pd.DataFrame


def audit_leakage(frame: pd.DataFrame, y: pd.Series, schema: list[ColumnInfo], target: str, task: str, *,
                  max_rows: int = 5000, seed: int = 0) -> AuditResult:
    """Score each column of ``frame`` alone against ``y`` (the training rows) and report likely leaks."""
    frame, codes, classes = _prepare(frame, y, target, task, max_rows, seed)
    kinds = _kinds(frame, schema)
    folds = _folds(codes, task, seed)
    with config_context(skip_parameter_validation=True):  # the trees' settings are fixed; saves ~1 ms per fit
        results = [_audit_column(name, frame[name], kinds[name], codes, folds, task, len(classes), target)
                   for name in frame.columns]
    findings = [finding for _, finding in results if finding]
    scores = pd.DataFrame([row for row, _ in results], columns=["column", "kind", "score", "metric"])
    scores = scores.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    order = {name: i for i, name in enumerate(scores["column"])}
    return AuditResult(sorted(findings, key=lambda f: order[f.column]), scores)


def _audit_column(name: str, series: pd.Series, kind: str, y: np.ndarray, folds: list, task: str, n_classes: int,
                  target: str) -> tuple[dict, LeakFinding | None]:
    """One row of the score table and the column's finding, if any."""
    values = _encode(series, kind)
    score, metric = _cv_score(_tree_input(values), y, folds, task, n_classes)
    finding = _judge(name, series, kind, _ordinal(values), y, score, metric, target, task)
    return {"column": name, "kind": kind, "score": score, "metric": metric}, finding


def audit_training_rows(frame: pd.DataFrame, schema: list[ColumnInfo], problem: Problem, recipe: dict) -> AuditResult:
    """The audit as the workbench runs it: every column the user has not left out, on the recipe's training
    split only (the validation and test rows stay unseen)."""
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, problem.task, recipe["split"], rows)
    candidates = [c for c in schema if c.name != problem.target and c.name not in recipe["drop_columns"]]
    train = rows.iloc[split.train]
    return audit_leakage(train[[c.name for c in candidates]], y.iloc[split.train], candidates, problem.target,
                         problem.task, seed=recipe["split"]["seed"])


def _prepare(frame: pd.DataFrame, y: pd.Series, target: str, task: str, max_rows: int,
             seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows with a target value, sampled to ``max_rows``; the target as class codes or floats."""
    if task not in ("classification", "regression"):
        raise TargetError(f"The task must be 'classification' or 'regression'. Got {task!r} instead.")
    if len(frame) != len(y):
        raise TargetError(f"The audit needs one target value per row, but got {len(frame)} rows and {len(y)} "
                          f"target values; pass the training rows and their '{target}' values.")
    if frame.shape[1] == 0 or len(frame) == 0:
        raise TargetError(f"There is nothing to audit ({frame.shape[0]} rows, {frame.shape[1]} columns); "
                          "pass the training rows with their feature columns.")
    frame = frame.drop(columns=[target], errors="ignore").reset_index(drop=True)
    keep = np.flatnonzero(y.notna().to_numpy())
    if len(keep) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(keep, max_rows, replace=False))
    frame, values = frame.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
    if task == "classification":
        codes, classes = pd.factorize(values.astype(str), sort=True)
    else:
        codes = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if np.isnan(codes).any():
            raise TargetError(f"Target '{target}' has non-numeric values; regression needs numbers.")
        classes = np.unique(codes)
    if len(classes) < 2:
        raise TargetError(f"Target '{target}' has {len(classes)} distinct values in these rows; the audit needs at "
                          "least two. Pick another target or add rows.")
    if len(keep) < _MIN_ROWS:
        raise TargetError(f"Only {len(keep)} rows have a '{target}' value; the audit needs at least {_MIN_ROWS}.")
    return frame, np.asarray(codes), np.asarray(classes)


def _kinds(frame: pd.DataFrame, schema: list[ColumnInfo]) -> dict[str, str]:
    """Each column's kind from ``schema``; columns it does not list are inferred."""
    kinds = {c.name: c.kind for c in schema if c.name in frame.columns}
    unknown = [c for c in frame.columns if c not in kinds]
    if unknown:
        kinds.update({c.name: c.kind for c in infer_schema(frame[unknown])})
    return kinds


def _folds(codes: np.ndarray, task: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if task == "regression":
        return list(KFold(_FOLDS, shuffle=True, random_state=seed).split(codes))
    with warnings.catch_warnings():  # a class rarer than the folds count is fine here
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedKFold(_FOLDS, shuffle=True, random_state=seed).split(codes, codes))


def _encode(series: pd.Series, kind: str) -> np.ndarray:
    """One float per row a tree can split on; NaN (missing) is a value of its own to the tree."""
    if kind in ("numeric", "boolean"):
        return convert_series(series, kind).to_numpy(dtype=float)
    if kind == "datetime":
        times = convert_series(series, "datetime")
        if isinstance(times.dtype, pd.DatetimeTZDtype):
            times = times.dt.tz_convert(None)
        return ((times - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float)  # numbered labels keep their order (IDs assigned in some order)
    codes, _ = pd.factorize(series.astype(object).where(series.notna(), None).map(str, na_action="ignore"),
                            sort=True)
    return np.where(codes < 0, np.nan, codes).astype(float)


def _ordinal(feature: np.ndarray) -> np.ndarray:
    """Dense ranks 0, 1, ... of the values, and -1 for missing."""
    filled = ~np.isnan(feature)
    codes = np.full(len(feature), -1, dtype=np.int64)
    codes[filled] = np.unique(feature[filled], return_inverse=True)[1]
    return codes


def _tree_input(values: np.ndarray) -> np.ndarray | None:
    """Values shifted to start at 0 (keeps float32 precise) with -1 for missing, as one float32 column; None if
    every value is missing."""
    filled = ~np.isnan(values)
    if not filled.any():
        return None
    return np.where(filled, values - values[filled].min(), -1.0).astype(np.float32).reshape(-1, 1)


def _cv_score(x: np.ndarray | None, y: np.ndarray, folds: list, task: str, n_classes: int) -> tuple[float, str]:
    """Out-of-fold ROC-AUC (macro one-vs-rest when multiclass) or R² of a shallow tree on one feature column."""
    metric = "ROC-AUC" if task == "classification" else "R²"
    if x is None:
        return (0.5 if task == "classification" else 0.0), metric
    # x is float32, contiguous and without NaN, so the trees may skip their input checks
    if task == "regression":
        pred = np.empty(len(y))
        for train, test in folds:
            tree = DecisionTreeRegressor(max_depth=_DEPTH, random_state=0).fit(x[train], y[train], check_input=False)
            pred[test] = tree.predict(x[test], check_input=False)
        return float(1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()), metric
    proba = np.zeros((len(y), n_classes))
    for train, test in folds:
        tree = DecisionTreeClassifier(max_depth=_DEPTH, random_state=0).fit(x[train], y[train], check_input=False)
        proba[np.ix_(test, tree.classes_)] = tree.predict_proba(x[test], check_input=False)
    if n_classes == 2:
        return _auc(y == 1, proba[:, 1]), metric
    return float(np.mean([_auc(y == k, proba[:, k]) for k in range(n_classes)])), metric


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC-AUC from ranks (Mann-Whitney U), equal to sklearn's ``roc_auc_score`` and much cheaper."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _judge(name: str, series: pd.Series, kind: str, feature: np.ndarray, y: np.ndarray, score: float, metric: str,
           target: str, task: str) -> LeakFinding | None:
    """The one finding for a column, if any: a copy beats an identifier shortcut beats a strong predictor."""
    copy = _copy_score(feature, kind, y, task)
    if copy is not None:
        if task == "classification":
            text = (f"'{name}' is a copy of {target}: each of its values goes with exactly one class and each class "
                    f"with one value ({copy:.0%} of the training rows have a value); drop it from the features.")
            return LeakFinding(name, "copy_of_target", copy, "match", text)
        text = (f"'{name}' moves in lockstep with {target} (Spearman |ρ| {copy:.3f} on the training rows): it is the "
                "target rescaled or in other units; drop it from the features.")
        return LeakFinding(name, "copy_of_target", copy, "Spearman |ρ|", text)
    low, high = (ID_MIN_AUC, MIN_AUC) if task == "classification" else (ID_MIN_R2, MIN_R2)
    if score >= low and _is_identifier(series, kind, feature):
        text = (f"'{name}' is an identifier, yet alone it predicts {target} with {metric} {score:.2f} on the "
                "training rows; its values were probably assigned in an order related to the outcome. Leave it out "
                "of the features.")
        return LeakFinding(name, "identifier_shortcut", score, metric, text)
    if score >= high:
        text = (f"'{name}' alone predicts {target} with {metric} {score:.2f} on the training rows; a column this "
                "strong is usually recorded after the outcome or copied from it. Check how it is collected before "
                "keeping it.")
        return LeakFinding(name, "predicts_target", score, metric, text)
    return None


def _is_identifier(series: pd.Series, kind: str, codes: np.ndarray) -> bool:
    """Identifiers, and label or whole-number columns with a different value on (nearly) every row."""
    if kind == "identifier":
        return True
    if kind in ("boolean", "datetime") or codes.max() + 1 < ID_DISTINCT_SHARE * len(codes):
        return False
    values = convert_series(series, "numeric").dropna() if kind == "numeric" else None
    return values is None or bool((values % 1 == 0).all())


def _copy_score(feature: np.ndarray, kind: str, y: np.ndarray, task: str) -> float | None:
    """Share of rows covered by a one-to-one value/class mapping, or |Spearman rho|; None when not a copy."""
    filled = feature >= 0
    coverage = float(filled.mean())
    if coverage < COPY_MIN_COVERAGE:
        return None
    if task == "regression":
        x, t = feature[filled], y[filled]
        if kind != "numeric" or x.min() == x.max() or t.min() == t.max():
            return None
        rho = abs(float(np.corrcoef(rankdata(x), rankdata(t))[0, 1]))
        return rho if rho >= COPY_MIN_RHO else None
    values, classes = feature[filled], y[filled]
    n_classes = int(y.max()) + 1
    if len(np.unique(values)) != n_classes or len(np.unique(classes)) != n_classes:
        return None
    return coverage if len(np.unique(values * n_classes + classes)) == n_classes else None
