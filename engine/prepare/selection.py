"""Dimensionality reduction steps: feature selection and PCA, sized to the data they meet.

Both wrap scikit-learn objects so that a ``k`` or component count larger than the columns
left at that point of the pipeline shrinks to fit instead of failing or warning.

>>> import pandas as pd
>>> X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [0.0, 0, 0, 0]})
>>> FeatureSelector("variance").fit(X).get_feature_names_out().tolist()
['a']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_selection import (
    SelectFromModel,
    SelectKBest,
    VarianceThreshold,
    f_classif,
    f_regression,
    mutual_info_classif,
    mutual_info_regression,
)

from engine.errors import RecipeError
from engine.prepare.transformers import FrameTransformer, numeric_frame

__all__ = ["FeatureSelector", "PCAReducer"]


class FeatureSelector(FrameTransformer):
    """Keep the best ``k`` columns (``kbest``, ``mutual_info``, ``model``) or those above a variance threshold."""

    _fitted = "support_"
    _who = "Feature selection"

    def __init__(self, method="kbest", k=20, threshold=0.0, task="classification", random_state=0):
        self.method = method
        self.k = k
        self.threshold = threshold
        self.task = task
        self.random_state = random_state

    def fit(self, X, y=None):
        frame = self._fit_columns(numeric_frame(X, self._who))
        k = min(self.k, frame.shape[1])
        classify = self.task == "classification"
        if self.method == "variance":
            selector = VarianceThreshold(self.threshold)
        elif self.method in ("kbest", "mutual_info"):
            if y is None:
                raise RecipeError(f"Feature selection by '{self.method}' needs the target.")
            if self.method == "kbest":
                score = f_classif if classify else f_regression
            else:
                score = _mutual_info_classif if classify else _mutual_info_regression
            selector = SelectKBest(score, k=k)
        elif self.method == "model":
            forest = (RandomForestClassifier if classify else RandomForestRegressor)(
                n_estimators=50, max_depth=8, n_jobs=1, random_state=self.random_state)
            selector = SelectFromModel(forest, max_features=k, threshold=-np.inf)
        else:
            raise RecipeError(f"Unknown feature selection method {self.method!r}.")
        try:
            selector.fit(frame.fillna(frame.median()).fillna(0.0).to_numpy(), None if y is None else np.asarray(y))
        except ValueError as exc:
            raise RecipeError(f"Feature selection by '{self.method}' failed: {exc}") from exc
        self.support_ = selector.get_support()
        if not self.support_.any():
            raise RecipeError(f"Feature selection by '{self.method}' kept no column; lower its threshold.")
        return self

    def transform(self, X):
        kept = list(self.get_feature_names_out())
        return self._input_frame(X, kept)[kept]

    def _names_out(self) -> np.ndarray:
        return self.feature_names_in_[self.support_]


class PCAReducer(FrameTransformer):
    """Principal components: ``n_components`` of them, or as many as explain ``variance`` of the variance."""

    _fitted = "pca_"
    _who = "PCA"

    def __init__(self, n_components=None, variance=0.95, random_state=0):
        self.n_components = n_components
        self.variance = variance
        self.random_state = random_state

    def fit(self, X, y=None):
        frame = self._fit_columns(numeric_frame(X, self._who))
        # Gaps left by earlier steps (a ratio with a zero divisor) are filled with training medians.
        self.fill_values_ = frame.median().fillna(0.0)
        frame = frame.fillna(self.fill_values_)
        largest = min(frame.shape)
        wanted = min(self.n_components, largest) if self.n_components else (self.variance or 0.95)
        self.pca_ = PCA(n_components=wanted, random_state=self.random_state).fit(frame.to_numpy())
        return self

    def transform(self, X):
        columns = list(self.feature_names_in_)
        frame = numeric_frame(self._input_frame(X)[columns], self._who).fillna(self.fill_values_)
        return pd.DataFrame(self.pca_.transform(frame.to_numpy()), columns=self.get_feature_names_out(),
                            index=frame.index)

    def _names_out(self) -> np.ndarray:
        return np.array([f"pc{i + 1}" for i in range(self.pca_.n_components_)], dtype=object)

    @property
    def explained_variance_ratio_(self) -> np.ndarray:
        return self.pca_.explained_variance_ratio_


def _mutual_info_classif(X, y):
    return mutual_info_classif(X, y, random_state=0)


def _mutual_info_regression(X, y):
    return mutual_info_regression(X, y, random_state=0)
