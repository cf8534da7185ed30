"""The AutoML benchmark's peers, one per process: fit on a training CSV, write predictions for a test CSV.

    python -m bench.bench_automl_peers flaml|histgbm TRAIN.csv TEST.csv TARGET TASK METRIC BUDGET SEED PREDS.csv

Both read the CSV files Workbench's CLI reads; text columns become pandas categories with the training file's
levels (a level seen only in the test rows is missing there), so HistGBM's native categorical support
(``categorical_features="from_dtype"``) and FLAML's LightGBM see categories. The predictions file has the CLI's
layout: ``prediction`` and, for classifiers, ``proba_<class>``. The fit's own seconds go to stdout as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pandas as pd

# engine.evaluate.metrics names -> FLAML's metric names
FLAML_METRIC = {"roc_auc": "roc_auc", "log_loss": "log_loss", "accuracy": "accuracy", "f1_macro": "macro_f1",
                "rmse": "rmse", "mae": "mae", "r2": "r2", "mse": "mse", "mape": "mape"}


def read_xy(train_path: str, test_path: str, target: str) -> tuple:
    train, test = pd.read_csv(train_path), pd.read_csv(test_path)
    X_train, y_train = train.drop(columns=[target]), train[target]
    X_test = test.drop(columns=[target], errors="ignore")[list(X_train.columns)]
    for column in X_train.columns:
        if not pd.api.types.is_numeric_dtype(X_train[column]):
            dtype = pd.CategoricalDtype(sorted(X_train[column].dropna().astype(str).unique()))
            X_train[column] = X_train[column].astype("string").astype(dtype)
            X_test[column] = X_test[column].astype("string").astype(dtype)
    return X_train, y_train, X_test


def predictions(model, X_test, task: str) -> pd.DataFrame:
    if task == "regression":
        return pd.DataFrame({"prediction": model.predict(X_test)})
    proba = model.predict_proba(X_test)
    classes = list(model.classes_)
    out = pd.DataFrame({"prediction": [classes[j] for j in proba.argmax(axis=1)]})
    for j, label in enumerate(classes):
        out[f"proba_{label}"] = proba[:, j]
    return out


def main(argv: list[str]) -> int:
    tool, train_path, test_path, target, task, metric, budget, seed, out = argv
    X_train, y_train, X_test = read_xy(train_path, test_path, target)
    started = time.perf_counter()
    if tool == "flaml":
        from flaml import AutoML

        model = AutoML()
        model.fit(X_train, y_train, task="regression" if task == "regression" else "classification",
                  time_budget=float(budget), metric=FLAML_METRIC[metric], seed=int(seed), verbose=0,
                  n_jobs=int(os.environ.get("OMP_NUM_THREADS", "-1")))  # the benchmark's thread limit
        detail = {"best": model.best_estimator, "trials": len(model.config_history)}
    elif tool == "histgbm":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
        model = cls(categorical_features="from_dtype", random_state=int(seed)).fit(X_train, y_train)
        detail = {"best": "default", "trials": 1}
    else:
        raise SystemExit(f"Unknown peer '{tool}'; use flaml or histgbm.")
    fit_seconds = time.perf_counter() - started
    predictions(model, X_test, task).to_csv(out, index=False)
    print(json.dumps({"fit_seconds": fit_seconds, **detail}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
