"""The baseline of ``bench_serving`` and ``bench_scoring``: what a user would write by hand around scikit-learn.

- ``hand_built_pipeline``: a scikit-learn Pipeline of a ``ColumnTransformer`` (numeric columns: median
  ``SimpleImputer`` then ``StandardScaler``; categorical and boolean columns: constant ``SimpleImputer`` then
  ``OneHotEncoder``) and a fresh clone of the estimator Workbench chose (same class, same parameters, but native
  categories, which one-hot columns replace here, left at the class's default). Columns of
  other kinds (dates, identifiers, free text) are left out: a hand-written pipeline this short would drop them.
- ``create_app``: the simplest honest service around it, FastAPI + uvicorn defaults: a dict body (one row) ->
  one-row DataFrame -> ``predict_proba`` -> JSON. Run as
  ``BARE_MODEL=pipeline.joblib python -m uvicorn bench.bare_service:create_app --factory --port 8766``.

Benchmark code only: the product never imports ``bench``.
"""

from __future__ import annotations

import os

import joblib
import pandas as pd
from fastapi import FastAPI
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def hand_built_pipeline(features: list[dict], estimator) -> Pipeline:
    """An unfitted Pipeline over a model card's ``features`` ending in a clone of ``estimator``."""
    numeric = [f["name"] for f in features if f["kind"] == "numeric"]
    categorical = [f["name"] for f in features if f["kind"] in ("categorical", "boolean")]
    columns = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                      OneHotEncoder(handle_unknown="ignore")), categorical)])
    model = clone(estimator)
    params = model.get_params()
    for key, value in params.items():  # names of Workbench's native categories (on the model, or on the model a
        if key.rsplit("__", 1)[-1] == "categorical_features" and isinstance(value, list):  # calibrator wraps):
            owner = params[key.rsplit("__", 1)[0]] if "__" in key else model  # one-hot columns here instead
            model.set_params(**{key: type(owner)().categorical_features})
    return Pipeline([("columns", columns), ("model", model)])


def create_app() -> FastAPI:
    """The bare service of the fitted pipeline saved at ``$BARE_MODEL``: POST /predict, GET /health."""
    pipeline = joblib.load(os.environ["BARE_MODEL"])
    classes = [str(c) for c in pipeline.classes_]
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(row: dict) -> dict:
        proba = pipeline.predict_proba(pd.DataFrame([row]))[0]
        return {"prediction": classes[int(proba.argmax())],
                "probabilities": dict(zip(classes, proba.tolist(), strict=True))}

    return app
