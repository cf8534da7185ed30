"""Run diff on hand-built run and model records: only what changed, in plain short strings."""

from __future__ import annotations

import copy

import pytest

from engine import DEFAULT_RECIPE
from engine.evaluate.run_diff import AREAS, diff_runs, short_text


def _run(**changes) -> dict:
    run = {"id": 1, "dataset_id": 3, "dataset_name": "churn.csv", "dataset_rows": 30, "dataset_sha256": "ab" * 32,
           "problem": {"target": "churned", "task": "classification", "metric": "accuracy"},
           "recipe": copy.deepcopy(DEFAULT_RECIPE), "settings": {"models": ["linear"], "cv_folds": 5},
           "split": {"train": 22, "valid": 4, "test": 4, "stratified": True, "strategy": "stratified"},
           "versions": {"python": "3.11.7", "scikit-learn": "1.9.1"}, "seconds": 2.0}
    run.update(changes)
    return run


def _model(family: str, accuracy: float = 0.75, **params) -> dict:
    return {"family": family, "status": "ok", "valid_metrics": {"accuracy": accuracy}, "cv_scores": [0.7, 0.8],
            "fit_seconds": 0.1, "params": {"C": 1.0, "max_iter": 100, **params}, "tuning": None}


def _rows(rows: list[dict]) -> list[tuple]:
    return [(r["area"], r["item"], r["a"], r["b"]) for r in rows]


def test_identical_runs_have_no_differences():
    models = [_model("baseline"), _model("linear")]
    assert diff_runs(_run(), _run(), models, copy.deepcopy(models)) == []


def test_one_step_param_one_setting_one_family():
    b = _run(settings={"models": ["linear"], "cv_folds": 3})
    b["recipe"]["steps"][3]["params"]["method"] = "robust"  # the scale step
    rows = diff_runs(_run(), b, [_model("baseline"), _model("linear")],
                     [_model("linear"), _model("random_forest", 0.8)])
    assert _rows(rows) == [
        ("Recipe", "step Scale (numeric columns): method", "standard", "robust"),
        ("Settings", "CV folds", "5", "3"),
        ("Models", "Baseline (majority class / mean)", "ok (0.7500)", "not in this run"),
        ("Models", "Random forest", "not in this run", "ok (0.8000)"),
    ]
    assert all(r["changed"] for r in rows)


def test_models_common_to_both_runs_show_changed_parameters_and_scores():
    rows = diff_runs(_run(), _run(), [_model("linear", 0.75)], [_model("linear", 0.8, C=0.1)])
    assert _rows(rows) == [("Models", "Logistic / linear regression: C", "1", "0.1"),
                           ("Models", "Logistic / linear regression: validation Accuracy", "0.7500", "0.8000")]


def test_steps_added_removed_switched_off_and_matched_by_their_columns():
    a, b = _run(), _run()
    steps = b["recipe"]["steps"]
    del steps[1]  # the numeric impute step: matched by columns, the categorical one is not mistaken for it
    steps[-1]["enabled"] = False  # tfidf off
    steps.append({"type": "drop_duplicates", "columns": {}, "params": {}, "enabled": True})
    assert _rows(diff_runs(a, b, [], [])) == [
        ("Recipe", "step Fill missing values (numeric columns)", "on: strategy=median, fill_value=—, indicator=no",
         "not in this run"),
        ("Recipe", "step Text features (TF-IDF) (text columns): on/off", "on", "off"),
        ("Recipe", "step Remove duplicate rows", "not in this run", "on"),
    ]


def test_reordered_steps_show_the_order():
    b = _run()
    steps = b["recipe"]["steps"]
    steps[3], steps[4] = steps[4], steps[3]  # encode before scale
    (row,) = diff_runs(_run(), b, [], [])
    assert (row["area"], row["item"]) == ("Recipe", "step order")
    assert row["a"].split(" → ")[3:5] == ["scale", "encode"] and row["b"].split(" → ")[3:5] == ["encode", "scale"]


def test_data_problem_split_leakage_versions_and_time():
    b = _run(dataset_id=4, dataset_sha256="cd" * 32, dataset_rows=31,
             problem={"target": "churned", "task": "classification", "metric": "f1_macro"},
             versions={"python": "3.11.7", "scikit-learn": "1.9.2"}, seconds=3.44)
    b["recipe"]["split"].update(seed=7, test=0.1, valid=0.2)
    b["recipe"]["leakage"]["excluded"] = ["visits"]
    assert _rows(diff_runs(_run(), b, [], [])) == [
        ("Data", "dataset", "#3 churn.csv", "#4 churn.csv"),
        ("Data", "sha256", "abababababab", "cdcdcdcdcdcd"),
        ("Data", "rows", "30", "31"),
        ("Problem", "metric", "Accuracy", "F1 (macro)"),
        ("Split", "shares (train / valid / test)", "70% / 15% / 15%", "70% / 20% / 10%"),
        ("Split", "seed", "42", "7"),
        ("Recipe", "left out by the leakage audit", "none", "visits"),
        ("Versions", "scikit-learn", "1.9.1", "1.9.2"),
        ("Time", "training time (s)", "2.0", "3.4"),
    ]


def test_unchanged_items_on_request_in_area_order():
    rows = diff_runs(_run(), _run(), [_model("linear")], [_model("linear")], include_unchanged=True)
    assert not any(r["changed"] for r in rows)
    areas = [r["area"] for r in rows]
    assert list(dict.fromkeys(areas)) == list(AREAS)
    assert ("Settings", "models", "linear", "linear") in _rows(rows)
    assert ("Settings", "seed", "42", "42") in _rows(rows)  # the default, filled in


@pytest.mark.parametrize(("value", "text"), [
    (None, "—"), (True, "yes"), (0.123456, "0.1235"), (5, "5"), ([], "none"), (["a", "b"], "a, b"),
    ({"strategy": "median"}, "strategy=median"), (float("nan"), "—"),
], ids=["none", "bool", "float", "int", "empty-list", "list", "dict", "nan"])
def test_short_text(value, text):
    assert short_text(value) == text


def test_settings_this_module_does_not_know_still_show():
    b = _run(settings={"models": ["linear"], "cv_folds": 5, "warm_start": True})
    assert _rows(diff_runs(_run(), b, [], [])) == [("Settings", "warm_start", "—", "yes")]
