"""The catalogue of preparation steps: what each step type does, its parameters, what it compiles to.

A step is plain data::

    {"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}, "enabled": True}

``columns`` picks the columns a step works on: ``{"kind": K}`` (every column of kind K when the
step runs) or ``{"names": [...]}``. Row steps change which training rows the model sees;
column steps become one stage each of the compiled scikit-learn Pipeline.

>>> step = validate_step({"type": "scale", "columns": {"kind": "numeric"}, "pinned": True})
>>> step["params"], describe_step(step)
({'method': 'standard'}, 'Scale numeric columns to mean 0 and standard deviation 1 (statistics from training rows).')
>>> type(STEP_TYPES["scale"].build(step, "regression", 0)).__name__
'StandardScaler'

Adding a step type
    One entry in ``STEP_TYPES`` below says everything about it: its label, the column kinds it may select, its
    parameters (each ``Param`` with its checks, its form label and the words for its choices), the sentence that
    explains it, and what it does: a row step's ``keep`` (a row mask function, in ``cleaners``), or a column step's
    ``build`` (the unfitted transformer it compiles to; a new transformer class goes in ``transformers``,
    ``cleaners``, ``features`` or ``selection``, on ``FrameTransformer``), the workbench types its fitted stage
    holds (``engine_types``: skops trusts exactly these) and its ONNX support: a converter in
    ``engine.deploy.onnx_converters.STEP_CONVERTERS`` under the same key, or in ``onnx`` the reason it has none.
    The compiler (``pipeline``), the row filter (``rows``), the exports (``engine.deploy``) and the Prepare page's
    form read the entry; ``tests/engine/test_recipe.py`` checks that every entry is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sklearn.experimental import enable_iterative_imputer  # noqa: F401 - makes IterativeImputer importable
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.model_selection import KFold
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from engine.errors import RecipeError
from engine.prepare.cleaners import (
    DropSparseColumns,
    IsolationFlag,
    OutlierClipper,
    keep_complete_rows,
    keep_unique_rows,
    keep_usual_rows,
)
from engine.prepare.features import DerivedFeature, FrequencyEncoder, TextTfidf
from engine.prepare.pipeline import ONEHOT_MAX_LEVELS, ShrinkingStratifiedKFold, signed_log1p
from engine.prepare.selection import FeatureSelector, PCAReducer
from engine.prepare.transformers import DateParts

__all__ = ["KIND_LABELS", "SELECTOR_KINDS", "STEP_TYPES", "Param", "StepType", "describe_step", "pin_step",
           "step_columns_text", "validate_step"]

SELECTOR_KINDS = ("numeric", "categorical", "text", "datetime", "all")
#: What a form calls each ``{"kind": K}`` column choice.
KIND_LABELS = {"numeric": "all numeric columns", "categorical": "all categorical columns",
               "text": "all free-text columns", "datetime": "all date columns", "all": "all columns"}
DATE_PARTS = ("year", "month", "day", "dayofweek", "hour", "elapsed_days")


class Param(NamedTuple):
    """One step parameter: its default, what values it accepts, and the words a form shows for it."""

    default: Any
    choices: tuple = ()
    type: type | tuple = ()
    low: float | None = None
    high: float | None = None
    optional: bool = False  # None allowed
    label: str = ""  # the form's label for the parameter
    words: dict | None = None  # choice -> the form's words for it (``choice_label``)

    def choice_label(self, value) -> str:
        """The words a form shows for one of the choices: 'Most frequent value', not 'most_frequent'."""
        return (self.words or {}).get(value, "—" if value is None else str(value))

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
    """Everything the recipe, the compiler, the exports and the form need to know about one kind of step."""

    label: str
    stage: str  # "rows" (training rows only) or "columns" (a stage of the Pipeline)
    kinds: tuple[str, ...]  # column kinds the step may select; () = the step names its own columns
    params: dict[str, Param]
    explain: str  # format string over params and ``cols``
    build: Callable[[dict, str, int], Any] | None = None  # column steps: (checked step, task, seed) -> transformer
    engine_types: tuple = ()  # workbench classes / functions its fitted stage holds: skops trusts these
    onnx: str = ""  # why (some of) its fitted forms have no ONNX translation; "" = they all have one
    picks: Callable[[dict], tuple[str, ...]] | None = None  # kinds == (): the columns its params name
    check: Callable[[dict], None] | None = None  # rules across its parameters, raising RecipeError
    keep: Callable[..., Any] | None = None  # row steps: (step, X, y, kinds, seed) -> mask of training rows to keep
    follows_family: bool = False  # unless pinned, each model family compiles its own encoding / scaling instead


_NUM = (int, float)
_OUTLIER_WORDS = {"iqr": "Interquartile range (IQR)", "zscore": "Standard deviations (z-score)",
                  "isolation_forest": "Isolation forest"}


# -- builders: a checked step (and the task and seed) -> the unfitted transformer its stage runs ----------------

def _impute(step: dict, task: str, seed: int):
    p = step["params"]
    if p["strategy"] == "knn":
        return KNNImputer(add_indicator=p["indicator"], keep_empty_features=True)
    if p["strategy"] == "iterative":
        # keep_empty_features=True fails on read-only pandas-backed arrays in scikit-learn 1.9; empty columns drop
        return IterativeImputer(add_indicator=p["indicator"], random_state=0)
    fill = p["fill_value"]
    if p["strategy"] == "constant" and fill is None:
        fill = "(missing)" if step["columns"].get("kind") in ("categorical", "text") else 0.0
    return SimpleImputer(strategy=p["strategy"], fill_value=fill, add_indicator=p["indicator"],
                         keep_empty_features=True)


def _power(step: dict, task: str, seed: int):
    if step["params"]["method"] == "log":
        return FunctionTransformer(signed_log1p, feature_names_out="one-to-one")
    return PowerTransformer(method="yeo-johnson", standardize=False)


_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def _encode(step: dict, task: str, seed: int):
    p = step["params"]
    if p["method"] == "onehot":
        return OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=p["max_categories"],
                             sparse_output=False)
    if p["method"] == "ordinal":
        return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    if p["method"] == "target":
        folds = ShrinkingStratifiedKFold if task == "classification" else KFold
        return TargetEncoder(cv=folds(5, shuffle=True, random_state=seed))
    return FrequencyEncoder()


def _derive(step: dict, task: str, seed: int):
    p = step["params"]
    return DerivedFeature(op=p["op"], left=p["left"], right=p["right"], name=p["name"], bins=p["bins"])


def _derive_columns(params: dict) -> tuple[str, ...]:
    return tuple(c for c in (params["left"], params["right"]) if c)


def _check_derive(step: dict) -> None:
    params = step["params"]
    binary = params["op"] in ("add", "subtract", "multiply", "divide")
    if not params["left"]:
        raise RecipeError("A 'derive' step needs the column it starts from in 'left'.")
    if binary != (params["right"] is not None):
        raise RecipeError(f"The '{params['op']}' operation of a 'derive' step "
                          f"{'needs a second column in' if binary else 'takes no'} 'right'.")


def _check_impute(step: dict) -> None:
    strategy = step["params"]["strategy"]
    if strategy in ("mean", "median", "knn", "iterative") and step["columns"].get("kind") in (
            "categorical", "text", "all"):
        raise RecipeError(f"'{strategy}' imputation works on numeric columns only; use 'most_frequent' "
                          "or 'constant' for categories.")


STEP_TYPES: dict[str, StepType] = {
    "drop_duplicates": StepType(
        "Remove duplicate rows", "rows", (), {},
        "Remove training rows that repeat another row exactly (features and target).", keep=keep_unique_rows),
    "drop_missing_rows": StepType(
        "Drop rows with missing values", "rows", SELECTOR_KINDS, {},
        "Remove training rows with a missing value in {cols}; at prediction time such rows are still imputed.",
        keep=keep_complete_rows),
    "drop_outliers": StepType(
        "Drop outlier rows", "rows", (), {
            "method": Param("iqr", ("iqr", "zscore", "isolation_forest"), label="Method", words=_OUTLIER_WORDS),
            "factor": Param(None, type=_NUM, low=0.5, high=10, optional=True, label="Factor (blank = default)")},
        "Remove training rows that are outliers ({method_name}) in any numeric column.", keep=keep_usual_rows),
    "drop_sparse": StepType(
        "Drop mostly-empty columns", "columns", SELECTOR_KINDS, {
            "threshold": Param(0.5, type=_NUM, low=0.01, high=1.0, label="Threshold")},
        "Drop {cols} when more than {threshold:.0%} of training values are missing.",
        build=lambda step, task, seed: DropSparseColumns(threshold=step["params"]["threshold"]),
        engine_types=(DropSparseColumns,)),
    "impute": StepType(
        "Fill missing values", "columns", ("numeric", "categorical", "text", "all"), {
            "strategy": Param("median", ("mean", "median", "most_frequent", "constant", "knn", "iterative"),
                              label="Fill with", words={
                                  "mean": "Mean", "median": "Median", "most_frequent": "Most frequent value",
                                  "constant": "A constant", "knn": "Average of the 5 most similar rows (KNN)",
                                  "iterative": "Predicted from the other columns (iterative)"}),
            "fill_value": Param(None, type=(int, float, str), optional=True,
                                label="Constant value (blank = default)"),
            "indicator": Param(False, type=bool, label="Add a 'was missing' column")},
        "Fill missing values in {cols} with {strategy_text}{indicator_text}.",
        build=_impute, check=_check_impute,
        onnx="KNN and iterative fills have no translation; use a median, mean, most-frequent or constant fill to "
             "export to ONNX"),
    "clip_outliers": StepType(
        "Clip outliers", "columns", ("numeric",), {
            "method": Param("iqr", ("iqr", "zscore"), label="Method", words=_OUTLIER_WORDS),
            "factor": Param(None, type=_NUM, low=0.5, high=10, optional=True, label="Factor (blank = default)")},
        "Clip {cols} to the {method_name} range learned on the training rows.",
        build=lambda step, task, seed: OutlierClipper(method=step["params"]["method"],
                                                      factor=step["params"]["factor"]),
        engine_types=(OutlierClipper,)),
    "flag_outliers": StepType(
        "Flag outliers (isolation forest)", "columns", ("numeric",), {},
        "Add an 'outlier_flag' column: 1 where an isolation forest trained on {cols} finds the row unusual.",
        build=lambda step, task, seed: IsolationFlag(random_state=seed), engine_types=(IsolationFlag,),
        onnx="the isolation forest flag has no translation; disable the step to export to ONNX"),
    "derive": StepType(
        "New feature from columns", "columns", (), {
            "op": Param("divide", ("add", "subtract", "multiply", "divide", "log", "log1p", "square", "sqrt",
                                   "abs", "bin"), label="Operation", words={
                "add": "A + B", "subtract": "A − B", "multiply": "A × B", "divide": "A ÷ B", "log": "log(A)",
                "log1p": "log(1 + A)", "square": "A²", "sqrt": "√A", "abs": "|A|", "bin": "A in quantile bins"}),
            "left": Param("", type=str, label="Column"),
            "right": Param(None, type=str, optional=True, label="Second column"),
            "name": Param(None, type=str, optional=True, label="New column name (blank = automatic)"),
            "bins": Param(5, type=int, low=2, high=100, label="Bins")},
        "New column{new_name}: {formula}.",
        build=_derive, engine_types=(DerivedFeature,), picks=_derive_columns, check=_check_derive),
    "date_parts": StepType(
        "Date parts", "columns", ("datetime",), {
            "parts": Param(["year", "month", "day", "dayofweek"], DATE_PARTS, label="Parts", words={
                "year": "Year", "month": "Month", "day": "Day of month", "dayofweek": "Day of week",
                "hour": "Hour", "elapsed_days": "Days since the earliest training date"})},
        "Replace {cols} by their {parts_text}.",
        build=lambda step, task, seed: DateParts(parts=tuple(step["params"]["parts"])), engine_types=(DateParts,)),
    "power": StepType(
        "Power transform", "columns", ("numeric",), {
            "method": Param("yeo-johnson", ("yeo-johnson", "log"), label="Method", words={
                "yeo-johnson": "Yeo-Johnson (fitted)", "log": "Signed log: log(1 + |x|) with x's sign"})},
        "Make {cols} less skewed with a {method_name} transform (fitted on training rows).",
        build=_power, engine_types=(signed_log1p,),
        onnx="the Yeo-Johnson transform has no translation; use the log transform to export to ONNX",
        follows_family=True),
    "scale": StepType(
        "Scale", "columns", ("numeric",), {
            "method": Param("standard", ("standard", "minmax", "robust"), label="Method", words={
                "standard": "Mean 0, standard deviation 1", "minmax": "Range 0 to 1",
                "robust": "Median and interquartile range (robust)"})},
        "Scale {cols} {method_text} (statistics from training rows).",
        build=lambda step, task, seed: _SCALERS[step["params"]["method"]](), follows_family=True),
    "encode": StepType(
        "Encode categories", "columns", ("categorical", "text"), {
            "method": Param("onehot", ("onehot", "ordinal", "target", "frequency"), label="Method", words={
                "onehot": "One column per category", "ordinal": "Integer codes",
                "target": "Mean target per category", "frequency": "Share of rows per category"}),
            "max_categories": Param(20, type=int, low=2, high=1000,
                                    label="Most categories kept (rarer ones grouped)")},
        "Encode {cols} {method_text}.",
        build=_encode, engine_types=(FrequencyEncoder, ShrinkingStratifiedKFold), follows_family=True),
    "tfidf": StepType(
        "Text features (TF-IDF)", "columns", ("text",), {
            "max_features": Param(100, type=int, low=1, high=10_000, label="Most words kept")},
        "Turn {cols} into TF-IDF weights of their {max_features} most frequent words.",
        build=lambda step, task, seed: TextTfidf(max_features=step["params"]["max_features"]),
        engine_types=(TextTfidf,),
        onnx="ONNX's tokenizer does not split words as scikit-learn does, so TF-IDF weights would differ; "
             "leave the text columns out to export to ONNX"),
    "pca": StepType(
        "PCA", "columns", ("all",), {
            "n_components": Param(None, type=int, low=1, high=10_000, optional=True,
                                  label="Components (blank = by explained variance)"),
            "variance": Param(0.95, type=float, low=0.01, high=0.999, optional=True, label="Explained variance")},
        "Replace {cols} by {pca_text} (fitted on training rows).",
        build=lambda step, task, seed: PCAReducer(n_components=step["params"]["n_components"],
                                                  variance=step["params"]["variance"], random_state=seed),
        engine_types=(PCAReducer,)),
    "select": StepType(
        "Select features", "columns", ("all",), {
            "method": Param("kbest", ("variance", "kbest", "mutual_info", "model"), label="Method", words={
                "variance": "Variance above a threshold", "kbest": "Best k by F-test",
                "mutual_info": "Best k by mutual information", "model": "Best k by random-forest importance"}),
            "k": Param(20, type=int, low=1, high=100_000, label="Columns kept (k)"),
            "threshold": Param(0.0, type=_NUM, low=0.0, high=1e12, label="Threshold")},
        "Keep {select_text} of {cols}.",
        build=lambda step, task, seed: FeatureSelector(method=step["params"]["method"], k=step["params"]["k"],
                                                       threshold=step["params"]["threshold"], task=task,
                                                       random_state=seed),
        engine_types=(FeatureSelector,)),
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
    known = {"type", "columns", "params", "enabled"} | ({"pinned"} if kind.follows_family else set())
    unknown = sorted(set(step) - known)
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
    if kind.follows_family:
        defaults = {name: p.default for name, p in kind.params.items()}
        pinned = step.get("pinned", out["columns"] != {"kind": kind.kinds[0]} or full != defaults)
        if not isinstance(pinned, bool):
            raise RecipeError(f"The 'pinned' flag of a '{step['type']}' step must be true or false.")
        out["pinned"] = pinned
    if kind.check is not None:
        kind.check(out)
    return out


def pin_step(step: dict) -> dict:
    """``step`` as the user's own choice: an encode, scale or power step the user adds or edits is ``pinned``, so
    every model family keeps it as written.

    >>> pin_step({"type": "scale"}), pin_step({"type": "impute"})
    ({'type': 'scale', 'pinned': True}, {'type': 'impute'})
    """
    spec = STEP_TYPES.get(step.get("type")) if isinstance(step, dict) else None
    return {**step, "pinned": True} if spec is not None and spec.follows_family else step


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
    if step.get("pinned") is False and step["type"] == "encode":
        return _FAMILY_ENCODING.format(**values)
    text = STEP_TYPES[step["type"]].explain.format(**values)
    return f"{text} {_FAMILY_SCALING}" if step.get("pinned") is False else text


# What an unpinned step compiles to: each model family's own encoding and scaling (engine.prepare.pipeline).
_FAMILY_ENCODING = ("Encode {cols} the way each model works best with: one column per category for linear models, "
                    f"SVM, k-NN and neural nets (the cross-fitted mean target beyond {ONEHOT_MAX_LEVELS} categories), "
                    "integer codes for trees, native categories for gradient boosting.")
_FAMILY_SCALING = ("Only linear models, SVM, k-NN, neural nets and naive Bayes get it; trees and gradient boosting do "
                   "not need it.")


def _select_text(params: dict) -> str:
    method = params.get("method")
    if method == "variance":
        return f"the columns whose training variance is above {params['threshold']}"
    how = {"kbest": "a univariate F-test", "mutual_info": "mutual information", "model": "random-forest importance"}
    return f"the {params.get('k')} best columns by {how.get(method, method)}"
