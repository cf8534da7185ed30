"""Feature steps: a new column from existing ones, frequency encoding, and TF-IDF for free text.

>>> import pandas as pd
>>> X = pd.DataFrame({"price": [10.0, 9.0], "area": [2.0, 0.0]})
>>> DerivedFeature("divide", "price", "area").fit_transform(X)["price_div_area"].tolist()
[5.0, nan]
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from engine.errors import RecipeError
from engine.prepare.transformers import FrameTransformer

__all__ = ["DerivedFeature", "FrequencyEncoder", "TextTfidf"]

BINARY_OPS = {"add": "{l}_plus_{r}", "subtract": "{l}_minus_{r}", "multiply": "{l}_times_{r}", "divide": "{l}_div_{r}"}
UNARY_OPS = {"log": "log_{l}", "log1p": "log1p_{l}", "square": "{l}_squared", "sqrt": "sqrt_{l}", "abs": "abs_{l}",
             "bin": "{l}_bin"}


class DerivedFeature(FrameTransformer):
    """Keep the input columns and add one computed from ``left`` (and ``right`` for binary ops).

    Binary ops: add, subtract, multiply, divide (x / 0 is missing). Unary ops: log (x > 0),
    log1p (x >= 0), square, sqrt (x >= 0), abs, and bin (index 0..bins-1 of training quantile
    bins; values outside the training range go to the end bins). Out-of-domain values become missing.
    The new column is ``name`` or e.g. ``price_div_area``, ``log_price``, ``price_squared``, ``price_bin``.
    """

    _fitted = "name_"

    def __init__(self, op, left, right=None, name=None, bins=5):
        self.op = op
        self.left = left
        self.right = right
        self.name = name
        self.bins = bins

    def fit(self, X, y=None):
        self._check_params()
        frame = pd.DataFrame(X)
        used = [self.left] if self.op in UNARY_OPS else [self.left, self.right]
        missing = [c for c in used if c not in frame.columns]
        if missing:
            raise RecipeError(f"The '{self.op}' new feature needs columns {missing}, but they are not there at this "
                              "point of the recipe (an earlier step may have dropped them); move the step earlier "
                              "or pick other columns.")
        text = [c for c in used if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
        if text:
            raise RecipeError(f"The '{self.op}' new feature needs numbers, but columns {text} hold text; "
                              "pick numeric columns or encode them first.")
        self._fit_columns(frame)
        template = {**BINARY_OPS, **UNARY_OPS}[self.op]
        self.name_ = self.name or template.format(l=self.left, r=self.right)
        if self.name_ in frame.columns:
            raise RecipeError(f"A column named '{self.name_}' already exists; give the new feature another name.")
        self.edges_ = None
        if self.op == "bin":
            values = _floats(frame[self.left])
            finite = values[np.isfinite(values)]
            quantiles = np.quantile(finite, np.linspace(0, 1, self.bins + 1)) if finite.size else np.array([])
            self.edges_ = np.unique(quantiles)[1:-1]  # inner edges: bin i holds edges_[i-1] <= x < edges_[i]
        return self

    def transform(self, X):
        frame = self._input_frame(X, [self.left] if self.op in UNARY_OPS else [self.left, self.right])
        out = frame.copy()
        out[self.name_] = self._compute(frame)
        return out

    @property
    def _who(self) -> str:
        return f"The '{self.op}' new feature"

    def _names_out(self) -> np.ndarray:
        return np.array([*self.feature_names_in_, self.name_], dtype=object)

    def _check_params(self) -> None:
        if self.op not in BINARY_OPS and self.op not in UNARY_OPS:
            raise RecipeError(f"The 'op' parameter of a new feature must be one of {[*BINARY_OPS, *UNARY_OPS]}. "
                              f"Got {self.op!r} instead.")
        if self.op in BINARY_OPS and not self.right:
            raise RecipeError(f"The '{self.op}' operation needs a second column; set 'right'.")
        if self.op in UNARY_OPS and self.right:
            raise RecipeError(f"The '{self.op}' operation uses one column; leave 'right' empty. "
                              f"Got {self.right!r}.")
        if self.op == "bin" and (not _is_int(self.bins) or self.bins < 2):
            raise RecipeError(f"The 'bins' parameter of a new feature must be an int >= 2. Got {self.bins!r} instead.")

    def _compute(self, frame: pd.DataFrame) -> np.ndarray:
        x = _floats(frame[self.left])
        r = _floats(frame[self.right]) if self.op in BINARY_OPS else None
        nan = np.full_like(x, np.nan)
        with np.errstate(all="ignore"):
            if self.op == "add":
                return x + r
            if self.op == "subtract":
                return x - r
            if self.op == "multiply":
                return x * r
            if self.op == "divide":
                return np.divide(x, r, out=nan, where=r != 0)
            if self.op == "log":
                return np.log(x, out=nan, where=x > 0)
            if self.op == "log1p":
                return np.log1p(x, out=nan, where=x >= 0)
            if self.op == "sqrt":
                return np.sqrt(x, out=nan, where=x >= 0)
            if self.op == "square":
                return x * x
            if self.op == "abs":
                return np.abs(x)
        bins = np.searchsorted(self.edges_, x, side="right").astype(float)
        return np.where(np.isnan(x), np.nan, bins)


class FrequencyEncoder(FrameTransformer):
    """Replace each category by its share of training rows (missing is a category; unseen → 0.0).

    Output columns are named ``f"{column}_freq"``.
    """

    _fitted = "frequencies_"
    _who = "Frequency encoding"

    def fit(self, X, y=None):
        frame = self._fit_columns(X)
        n = max(len(frame), 1)
        self.frequencies_ = {}
        self.missing_share_ = {}
        for name in frame.columns:
            values = frame[name].astype(object)
            present = values[values.notna()]
            self.frequencies_[name] = {k: c / n for k, c in present.value_counts(sort=False).items()}
            self.missing_share_[name] = float(values.isna().sum()) / n
        return self

    def transform(self, X):
        frame = self._input_frame(X)
        out = {}
        for name in self.feature_names_in_:
            values = frame[name].astype(object)
            shares = values.map(self.frequencies_[name]).astype(float).fillna(0.0)
            out[f"{name}_freq"] = shares.where(values.notna(), self.missing_share_[name])
        return pd.DataFrame(out, index=frame.index, columns=self.get_feature_names_out())

    def _names_out(self) -> np.ndarray:
        return np.array([f"{c}_freq" for c in self.feature_names_in_], dtype=object)


class TextTfidf(FrameTransformer):
    """TF-IDF weights of up to ``max_features`` words per free-text column, named ``f"{column}_tfidf_{word}"``.

    A column whose training text holds no word adds no column.
    """

    _fitted = "vectorizers_"
    _who = "TF-IDF"

    def __init__(self, max_features=100):
        self.max_features = max_features

    def fit(self, X, y=None):
        if not _is_int(self.max_features) or self.max_features < 1:
            raise RecipeError(f"The 'max_features' parameter of TextTfidf must be an int >= 1. "
                              f"Got {self.max_features!r} instead.")
        frame = self._fit_columns(X)
        self.vectorizers_ = {}
        for name in frame.columns:
            try:
                self.vectorizers_[name] = TfidfVectorizer(max_features=self.max_features).fit(_texts(frame[name]))
            except ValueError:  # empty vocabulary: no words in the training text
                self.vectorizers_[name] = None
        return self

    def transform(self, X):
        frame = self._input_frame(X)
        blocks = [pd.DataFrame(vec.transform(_texts(frame[name])).toarray(), index=frame.index,
                               columns=[f"{name}_tfidf_{w}" for w in vec.get_feature_names_out()])
                  for name, vec in self.vectorizers_.items() if vec is not None]
        return pd.concat(blocks, axis=1) if blocks else pd.DataFrame(index=frame.index)

    def _names_out(self) -> np.ndarray:
        return np.array([f"{name}_tfidf_{w}" for name, vec in self.vectorizers_.items() if vec is not None
                         for w in vec.get_feature_names_out()], dtype=object)


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _texts(series: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in series.astype(object)]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
