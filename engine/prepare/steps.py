"""The catalogue of preparation steps: what each step type does, its parameters and their checks.

A step is plain data::

    {"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}, "enabled": True}

``columns`` picks the columns a step works on: ``{"kind": K}`` (every column of kind K when the
step runs) or ``{"names": [...]}``. Row steps change which training rows the model sees;
column steps become one stage each of the compiled scikit-learn Pipeline.

>>> step = validate_step({"type": "scale", "columns": {"kind": "numeric"}})
>>> step["params"], describe_step(step)
({'method': 'standard'}, 'Scale numeric columns to mean 0 and standard deviation 1 (statistics from training rows).')
"""

from __future__ import annotations

from typing import Any, NamedTuple

from engine.errors import RecipeError

__all__ = ["SELECTOR_KINDS", "STEP_TYPES", "Param", "StepType", "describe_step", "step_columns_text", "validate_step"]

SELECTOR_KINDS = ("numeric", "categorical", "text", "datetime", "all")
DATE_PARTS = ("year", "month", "day", "dayofweek", "hour", "elapsed_days")


class Param(NamedTuple):
    """One step parameter: its default and what values it accepts."""

    default: Any
    choices: tuple = ()
    type: type | tuple = ()
    low: float | None = None
    high: float | None = None
    optional: bool = False  # None allowed

    def check(self, step: str, name: str, value) -> None:
        if value is None and self.optional:
            return
        if self.choices and not isinstance(value, list) and value not in self.choices:
            raise RecipeError(f"The '{name}' parameter of step '{step}' must be one of {list(self.choices)}. "
                              f"Got {value!r} instead.")
        if self.choices and isinstance(value, list) and (not value or not set(value) <= set(self.choices)):
            raise RecipeError(f"The '{name}' parameter of step '{step}' must be a non-empty list drawn from "
                              f"{list(self.choices)}. Got {value!r} instead.")
        if self.type and (isinstance(value, bool) and bool not in _as_tuple(self.type)
                          or not isinstance(value, self.type)):
            raise RecipeError(f"The '{name}' parameter of step '{step}' must be of type "
                              f"{' or '.join(t.__name__ for t in _as_tuple(self.type))}. Got {value!r} instead.")
        if self.low is not None and not self.low <= value <= self.high:
            raise RecipeError(f"The '{name}' parameter of step '{step}' must be in [{self.low}, {self.high}]. "
                              f"Got {value!r} instead.")


class StepType(NamedTuple):
    label: str
    stage: str  # "rows" (training rows only) or "columns" (a stage of the Pipeline)
    kinds: tuple[str, ...]  # column kinds the step may select; () = the step names its own columns
    params: dict[str, Param]
    explain: str  # format string over params and ``cols``


_NUM = (int, float)

STEP_TYPES: dict[str, StepType] = {
    "drop_duplicates": StepType(
        "Remove duplicate rows", "rows", (), {},
        "Remove training rows that repeat another row exactly (features and target)."),
    "drop_missing_rows": StepType(
        "Drop rows with missing values", "rows", SELECTOR_KINDS, {},
        "Remove training rows with a missing value in {cols}; at prediction time such rows are still imputed."),
    "drop_outliers": StepType(
        "Drop outlier rows", "rows", (), {
            "method": Param("iqr", ("iqr", "zscore", "isolation_forest")),
            "factor": Param(None, type=_NUM, low=0.5, high=10, optional=True)},
        "Remove training rows that are outliers ({method_name}) in any numeric column."),
    "drop_sparse": StepType(
        "Drop mostly-empty columns", "columns", SELECTOR_KINDS, {
            "threshold": Param(0.5, type=_NUM, low=0.01, high=1.0)},
        "Drop {cols} when more than {threshold:.0%} of training values are missing."),
    "impute": StepType(
        "Fill missing values", "columns", ("numeric", "categorical", "text", "all"), {
            "strategy": Param("median", ("mean", "median", "most_frequent", "constant", "knn", "iterative")),
            "fill_value": Param(None, type=(int, float, str), optional=True),
            "indicator": Param(False, type=bool)},
        "Fill missing values in {cols} with {strategy_text}{indicator_text}."),
    "clip_outliers": StepType(
        "Clip outliers", "columns", ("numeric",), {
            "method": Param("iqr", ("iqr", "zscore")),
            "factor": Param(None, type=_NUM, low=0.5, high=10, optional=True)},
        "Clip {cols} to the {method_name} range learned on the training rows."),
    "flag_outliers": StepType(
        "Flag outliers (isolation forest)", "columns", ("numeric",), {},
        "Add an 'outlier_flag' column: 1 where an isolation forest trained on {cols} finds the row unusual."),
    "derive": StepType(
        "New feature from columns", "columns", (), {
            "op": Param("divide", ("add", "subtract", "multiply", "divide", "log", "log1p", "square", "sqrt",
                                   "abs", "bin")),
            "left": Param("", type=str),
            "right": Param(None, type=str, optional=True),
            "name": Param(None, type=str, optional=True),
            "bins": Param(5, type=int, low=2, high=100)},
        "New column{new_name}: {formula}."),
    "date_parts": StepType(
        "Date parts", "columns", ("datetime",), {
            "parts": Param(["year", "month", "day", "dayofweek"], DATE_PARTS)},
        "Replace {cols} by their {parts_text}."),
    "power": StepType(
        "Power transform", "columns", ("numeric",), {
            "method": Param("yeo-johnson", ("yeo-johnson", "log"))},
        "Make {cols} less skewed with a {method_name} transform (fitted on training rows)."),
    "scale": StepType(
        "Scale", "columns", ("numeric",), {
            "method": Param("standard", ("standard", "minmax", "robust"))},
        "Scale {cols} {method_text} (statistics from training rows)."),
    "encode": StepType(
        "Encode categories", "columns", ("categorical", "text"), {
            "method": Param("onehot", ("onehot", "ordinal", "target", "frequency")),
            "max_categories": Param(20, type=int, low=2, high=1000)},
        "Encode {cols} {method_text}."),
    "tfidf": StepType(
        "Text features (TF-IDF)", "columns", ("text",), {
            "max_features": Param(100, type=int, low=1, high=10_000)},
        "Turn {cols} into TF-IDF weights of their {max_features} most frequent words."),
    "pca": StepType(
        "PCA", "columns", ("all",), {
            "n_components": Param(None, type=int, low=1, high=10_000, optional=True),
            "variance": Param(0.95, type=float, low=0.01, high=0.999, optional=True)},
        "Replace {cols} by {pca_text} (fitted on training rows)."),
    "select": StepType(
        "Select features", "columns", ("all",), {
            "method": Param("kbest", ("variance", "kbest", "mutual_info", "model")),
            "k": Param(20, type=int, low=1, high=100_000),
            "threshold": Param(0.0, type=_NUM, low=0.0, high=1e12)},
        "Keep {select_text} of {cols}."),
}

_METHOD_TEXT = {
    "standard": "to mean 0 and standard deviation 1", "minmax": "to the range 0 to 1",
    "robust": "by median and interquartile range",
    "onehot": "as one column per category (rare categories grouped)", "ordinal": "as integer codes",
    "target": "by the mean target per category, cross-fitted on training folds",
    "frequency": "by each category's share of training rows",
}


_STRATEGY_TEXT = {
    "mean": "the mean of the training rows", "median": "the median of the training rows",
    "most_frequent": "the most frequent value of the training rows", "constant": "a constant: {fill}",
    "knn": "the average of the 5 most similar training rows", "iterative": "values predicted from the other columns",
}


_METHOD_NAMES = {"iqr": "IQR", "zscore": "z-score", "isolation_forest": "isolation forest",
                 "yeo-johnson": "Yeo-Johnson", "log": "signed log"}
_OPS = {"add": "{l} + {r}", "subtract": "{l} − {r}", "multiply": "{l} × {r}", "divide": "{l} ÷ {r}",
        "log": "log({l})", "log1p": "log(1 + {l})", "square": "{l}²", "sqrt": "√{l}", "abs": "|{l}|",
        "bin": "{l} in {bins} quantile bins"}


def _formula(params: dict) -> str:
    if "op" not in params:
        return ""
    return _OPS[params["op"]].format(l=params.get("left") or "?", r=params.get("right") or "?", bins=params["bins"])


def _as_tuple(t) -> tuple:
    return t if isinstance(t, tuple) else (t,)


def validate_step(step) -> dict:
    """A complete, checked copy of one step; RecipeError names what is wrong."""
    if not isinstance(step, dict) or "type" not in step:
        raise RecipeError(f"A recipe step must be an object with a 'type'. Got {step!r} instead.")
    kind = STEP_TYPES.get(step["type"])
    if kind is None:
        raise RecipeError(f"Unknown step type {step['type']!r}; known types are {sorted(STEP_TYPES)}.")
    unknown = sorted(set(step) - {"type", "columns", "params", "enabled"})
    if unknown:
        raise RecipeError(f"Unknown keys {unknown} in a '{step['type']}' step.")
    params = step.get("params") or {}
    extra = sorted(set(params) - set(kind.params))
    if extra:
        raise RecipeError(f"Unknown parameters {extra} for step '{step['type']}'; it takes {sorted(kind.params)}.")
    full = {name: params.get(name, p.default) for name, p in kind.params.items()}
    for name, p in kind.params.items():
        p.check(step["type"], name, full[name])
    enabled = step.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RecipeError(f"The 'enabled' flag of a '{step['type']}' step must be true or false.")
    out = {"type": step["type"], "columns": _check_columns(step, kind), "params": full, "enabled": enabled}
    _check_step_specifics(out)
    return out


def _check_columns(step: dict, kind: StepType) -> dict:
    columns = step.get("columns")
    if not kind.kinds:
        if columns not in (None, {}):
            raise RecipeError(f"A '{step['type']}' step picks its own columns; remove its 'columns'.")
        return {}
    if columns is None:
        return {"kind": kind.kinds[0]}
    if isinstance(columns, dict) and set(columns) == {"kind"}:
        if columns["kind"] not in kind.kinds:
            raise RecipeError(f"A '{step['type']}' step works on {list(kind.kinds)} columns. "
                              f"Got {columns['kind']!r} instead.")
        return dict(columns)
    if isinstance(columns, dict) and set(columns) == {"names"}:
        names = columns["names"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise RecipeError(f"The column names of a '{step['type']}' step must be a non-empty list of strings.")
        return {"names": list(names)}
    raise RecipeError(f"The 'columns' of a '{step['type']}' step must be {{\"kind\": ...}} or "
                      f"{{\"names\": [...]}}. Got {columns!r} instead.")


def _check_step_specifics(step: dict) -> None:
    params = step["params"]
    if step["type"] == "derive":
        binary = params["op"] in ("add", "subtract", "multiply", "divide")
        if not params["left"]:
            raise RecipeError("A 'derive' step needs the column it starts from in 'left'.")
        if binary != (params["right"] is not None):
            raise RecipeError(f"The '{params['op']}' operation of a 'derive' step "
                              f"{'needs a second column in' if binary else 'takes no'} 'right'.")
    numeric_only = ("mean", "median", "knn", "iterative")
    if step["type"] == "impute" and params["strategy"] in numeric_only and step["columns"].get("kind") in (
            "categorical", "text", "all"):
        raise RecipeError(f"'{params['strategy']}' imputation works on numeric columns only; use 'most_frequent' "
                          "or 'constant' for categories.")


def step_columns_text(step: dict) -> str:
    """'numeric columns' or 'columns a, b' for explanations and the step list."""
    columns = step["columns"]
    if "names" in columns:
        names = columns["names"]
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        return f"column{'s' if len(names) > 1 else ''} {shown}"
    if columns.get("kind") == "all":
        return "all columns"
    return f"{columns.get('kind', '')} columns"


def describe_step(step: dict) -> str:
    """One plain-English sentence saying what the step does."""
    params = step["params"]
    values = {**params, "cols": step_columns_text(step) if step["columns"] else "",
              "indicator_text": ", and add a was-missing column for each" if params.get("indicator") else "",
              "method_text": _METHOD_TEXT.get(params.get("method"), ""),
              "method_name": _METHOD_NAMES.get(params.get("method"), params.get("method")),
              "formula": _formula(params), "new_name": f" '{params['name']}'" if params.get("name") else "",
              "right_text": f" and {params['right']}" if params.get("right") else "",
              "parts_text": ", ".join(p.replace("dayofweek", "day of week").replace("_", " ")
                                      for p in params.get("parts") or []),
              "strategy_text": _STRATEGY_TEXT.get(params.get("strategy"), "").format(
                  fill=f"'{params['fill_value']}'" if params.get("fill_value") is not None else "a default"),
              "pca_text": (f"{params['n_components']} principal components" if params.get("n_components")
                           else f"the principal components that explain {params.get('variance') or 0.95:.0%} "
                                "of the variance"),
              "select_text": _select_text(params)}
    return STEP_TYPES[step["type"]].explain.format(**values)


def _select_text(params: dict) -> str:
    method = params.get("method")
    if method == "variance":
        return f"the columns whose training variance is above {params['threshold']}"
    how = {"kbest": "a univariate F-test", "mutual_info": "mutual information", "model": "random-forest importance"}
    return f"the {params.get('k')} best columns by {how.get(method, method)}"
