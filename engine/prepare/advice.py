"""Recipe advice: steps proposed from the data, and warnings about risky or useless choices.

>>> import pandas as pd
>>> from engine.data.schema import infer_schema
>>> frame = pd.DataFrame({"x": [1.0, None, 3, 4, 5] * 20, "y": ["a", "b"] * 50})
>>> recipe, reasons = propose_recipe(frame, infer_schema(frame), "y", "classification")
>>> impute = next(s for s in recipe["steps"] if s["type"] == "impute")
>>> impute["params"]["indicator"], reasons[0][:48]
(True, 'Numeric columns have missing values (x 20%): the')
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from engine.data.schema import ColumnInfo
from engine.prepare.recipe import DEFAULT_RECIPE, excluded_columns, validate_recipe
from engine.prepare.steps import STEP_TYPES
from engine.train.catalog import MODELS

__all__ = ["propose_recipe", "recipe_warnings"]

_SPARSE_SHARE = 0.6
_INDICATOR_SHARE = 0.05
_SKEW = 2.0
_IMBALANCE_SHARE = 0.2
_SLOW_IMPUTE_ROWS = 50_000


def propose_recipe(frame: pd.DataFrame, schema: list[ColumnInfo], target: str, task: str) -> tuple[dict, list[str]]:
    """A recipe fitted to this data (default steps plus what the data calls for) and why each change was made."""
    recipe = copy.deepcopy(DEFAULT_RECIPE)
    steps, reasons = recipe["steps"], []
    features = [c for c in schema if c.name != target and c.kind != "identifier"]
    numeric = [c.name for c in features if c.kind == "numeric"]
    n = max(len(frame), 1)
    missing = {c.name: c.n_missing / n for c in features}
    gaps = [c for c in numeric if missing[c] >= _INDICATOR_SHARE]
    if gaps:
        steps[1]["params"]["indicator"] = True
        shown = ", ".join(f"{c} {missing[c]:.0%}" for c in gaps[:4])
        reasons.append(f"Numeric columns have missing values ({shown}): they are filled with the median and a "
                       "'was missing' column is added, since missingness itself can carry signal.")
    infinite = {c: int(np.isinf(pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)).sum())
                for c in numeric}
    infinite = {c: count for c, count in infinite.items() if count}
    if infinite:
        shown = ", ".join(f"{c} ({count:,})" for c, count in list(infinite.items())[:4])
        reasons.append(f"Infinite values in {shown} count as missing, in training and when scoring: they are "
                       "filled like any other gap.")
    skewed = [c for c in numeric if frame[c].notna().sum() > 10 and abs(_skew(frame[c])) > _SKEW]
    if skewed:
        steps.insert(2, {"type": "power", "columns": {"names": skewed}, "params": {"method": "yeo-johnson"},
                         "enabled": True, "pinned": False})
        reasons.append(f"{', '.join(skewed[:4])}{' and others' if len(skewed) > 4 else ''} are heavily skewed "
                       f"(|skew| > {_SKEW:g}): a Yeo-Johnson transform evens them out for linear models.")
    sparse = [c for c, share in missing.items() if share > _SPARSE_SHARE]
    if sparse:
        steps.insert(0, {"type": "drop_sparse", "columns": {"kind": "all"}, "params": {"threshold": _SPARSE_SHARE},
                         "enabled": True})
        reasons.append(f"{', '.join(sparse[:4])} are more than {_SPARSE_SHARE:.0%} empty: columns that empty in "
                       "the training rows are dropped.")
    duplicates = int(frame.duplicated().sum())
    if duplicates:
        steps.insert(0, {"type": "drop_duplicates", "columns": {}, "params": {}, "enabled": True})
        reasons.append(f"{duplicates:,} rows repeat another row exactly: duplicates are removed from the "
                       "training rows so they do not count twice.")
    present = {"numeric", "all"} | {c.kind for c in features}
    recipe["steps"] = [s for s in steps if s["columns"].get("kind", "all") in present]
    if task == "classification":
        recipe["split"]["strategy"] = "stratified"
        shares = frame[target].dropna().astype(str).value_counts(normalize=True)
        if len(shares) >= 2 and shares.min() < _IMBALANCE_SHARE:
            recipe["balance"] = "class_weight"
            reasons.append(f"The rarest class '{shares.index[-1]}' is {shares.min():.0%} of rows: models weight "
                           "classes so they do not just predict the majority.")
    else:
        recipe["split"]["strategy"] = "random"
    return validate_recipe(recipe), reasons


def recipe_warnings(recipe: dict, schema: list[ColumnInfo], target: str, task: str,
                    models: list[str] | None = None, n_rows: int = 0) -> list[str]:
    """Plain-English warnings about steps that do nothing, are risky, or do not suit the chosen models."""
    recipe = validate_recipe(recipe)
    excluded = excluded_columns(recipe)
    names = {c.name for c in schema}
    kinds = {c.kind for c in schema if c.name != target and c.name not in excluded and c.kind != "identifier"}
    kinds |= {"numeric"} if kinds & {"boolean", "datetime"} else set()
    warnings, encoded = [], set()
    for i, step in enumerate(recipe["steps"]):
        if not step["enabled"]:
            continue
        label = f"Step {i + 1} ({STEP_TYPES[step['type']].label})"
        used = set(step["columns"].get("names", []))
        if step["type"] == "derive":
            used = {step["params"]["left"], step["params"]["right"]} - {None}
        if target in used:
            warnings.append(f"{label} uses the target '{target}': a feature derived from the target leaks the "
                            "answer and will not exist at prediction time. Remove it.")
        if used - names - {target}:
            warnings.append(f"{label} names columns {sorted(used - names)} that the data does not have.")
        kind = step["columns"].get("kind")
        if kind not in (None, "all") and kind not in kinds:
            warnings.append(f"{label} works on {kind} columns, but there are none: it does nothing.")
        if step["type"] == "encode":
            encoded.add(kind or "named")
        warnings += _step_warnings(label, step, schema, n_rows)
    if "categorical" in kinds and not encoded:
        warnings.append("No step encodes the categorical columns, so training will stop: add an 'Encode "
                        "categories' step.")
    if "datetime" in kinds and not any(s["enabled"] and s["type"] == "date_parts" for s in recipe["steps"]):
        warnings.append("No 'Date parts' step turns the date columns into numbers, so training will stop: add "
                        "one, or leave the date columns out.")
    models = set(models or [])
    # unpinned scaling is already left out for the families that do not need it
    scaling = any(s["enabled"] and s["type"] in ("scale", "power") and s["pinned"] for s in recipe["steps"])
    if models and not any(MODELS[m].needs_scaling for m in models if m in MODELS) and scaling:
        warnings.append("Scaling and power transforms do not change the chosen models (trees, naive Bayes); they "
                        "matter for linear models, SVM, k-NN and neural nets.")
    if recipe["balance"] != "none" and task != "classification":
        warnings.append("Class balancing applies to classification only; it is ignored for regression.")
    return warnings


def _step_warnings(label: str, step: dict, schema: list[ColumnInfo], n_rows: int) -> list[str]:
    p, out = step["params"], []
    if step["type"] == "impute" and p["strategy"] in ("knn", "iterative") and n_rows > _SLOW_IMPUTE_ROWS:
        out.append(f"{label}: {p['strategy']} imputation on {n_rows:,} rows is slow; median imputation with a "
                   "missing indicator is usually as good.")
    if step["type"] == "encode" and p["method"] == "target":
        few = [c.name for c in schema if c.kind == "categorical" and 0 < c.n_unique <= 5]
        if few and step["columns"].get("kind") == "categorical":
            out.append(f"{label}: target encoding gains little on columns with few categories ({', '.join(few[:3])}); "
                       "one-hot keeps more detail with no leakage risk.")
    if step["type"] == "pca":
        out.append(f"{label}: PCA mixes columns into components, so feature importance and partial dependence "
                   "no longer name your original columns.")
    return out


def _skew(series: pd.Series) -> float:
    values = pd.to_numeric(series, errors="coerce").replace([np.inf, -np.inf], np.nan).dropna()
    return float(values.skew()) if len(values) > 2 and values.std() > 0 else 0.0
