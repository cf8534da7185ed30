"""The lean request path: plain JSON rows scored at NumPy level answer byte for byte as FastAPI + pydantic + the
compiled pipeline did, and everything else (bad rows, wrong types, tokens, limits) is answered by the app as before."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from engine import DEFAULT_RECIPE, Problem, infer_schema, prepare_target, split_rows, validate_recipe
from engine.deploy import serving
from engine.deploy.record_scoring import record_scorer
from engine.deploy.serving import PlainPredict, create_app, plain_records
from engine.train.training import train_candidates

FAMILIES = ["linear", "gradient_boosting"]


@pytest.fixture(scope="module")
def fitted():
    """Each family's pipeline trained on the tiny churn table as the training stage trains it, its card, the table."""
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "tiny_churn.csv")
    problem = Problem("churned", "classification", "accuracy")
    recipe = validate_recipe({**DEFAULT_RECIPE, "drop_columns": ["customer_id"]})
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, problem.task, recipe["split"], rows)
    schema = infer_schema(frame)
    kinds = {c.name: c.kind for c in schema}
    candidates = train_candidates(rows, schema, problem, recipe, {"models": FAMILIES, "cv_folds": 0}, split)
    out = {}
    for candidate in candidates:
        pipeline = candidate.pipeline
        features = [{"name": n, "kind": kinds[n], "dtype": "x"} for n in pipeline.feature_names_in_]
        out[candidate.model] = pipeline, {"task": "classification", "target": "churned", "family": candidate.model,
                                          "sha256": "e" * 64, "features": features,
                                          "classes": [str(c) for c in pipeline.classes_]}
    return out, frame


def _records(frame: pd.DataFrame, features: list[dict], n: int) -> list[dict]:
    X = frame[[f["name"] for f in features]].head(n).astype(object)
    return X.where(X.notna(), None).to_dict("records")


def _apps(pipeline, card, monkeypatch, **options) -> tuple[TestClient, TestClient, list, list]:
    """(the app as served now, the app as before the lean path: pydantic and the compiled pipeline, each request's
    log records of both)."""
    fast_log, slow_log = [], []
    fast = TestClient(create_app(pipeline, card, on_predict=fast_log.append, **options))
    with monkeypatch.context() as patch:
        patch.setattr(serving, "record_scorer", lambda *args: None)
        app = create_app(pipeline, card, on_predict=slow_log.append, **options)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not PlainPredict]
    return fast, TestClient(app), fast_log, slow_log


@pytest.mark.parametrize("family", FAMILIES)
def test_the_numpy_scorer_is_used_and_answers_bit_for_bit(fitted, family):
    pipelines, frame = fitted
    pipeline, card = pipelines[family]
    scorer = record_scorer(pipeline, card["features"], "classification")
    assert scorer is not None  # both families' compiled recipes are on the fast path
    prepare, model = pipeline.steps[0][1], pipeline.steps[1][1]
    records = _records(frame, card["features"], 30)
    for batch in [records, *([r] for r in records)]:
        expected = model.predict_proba(prepare.transform_records(batch))
        got = scorer(batch)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def _bodies(records: list[dict], features: list[dict]) -> dict[str, object]:
    names = [f["name"] for f in features]
    kind = {f["name"]: f["kind"] for f in features}
    numeric = next(n for n in names if kind[n] == "numeric")
    category = next(n for n in names if kind[n] == "categorical")
    date = next(n for n in names if kind[n] == "datetime")
    row = records[0]
    return {
        "one row": row, "rows": records[:7], "all missing": {n: None for n in names},
        "missing values": {**row, numeric: None, category: None, date: None},
        "unseen category": {**row, category: "platinum"}, "category as a number": {**row, category: 3},
        "int in a numeric column": {**row, numeric: 41}, "huge int": {**row, numeric: 10 ** 20},
        "NaN": {**row, numeric: float("nan")}, "infinity": {**row, numeric: float("inf")},
        "impossible date": {**row, date: "2024-02-30"}, "other date format": {**row, date: "03/04/2024 10:00"},
        "extra keys": {**row, "customer_id": "c-1", "churned": "yes"},
        "number as text": {**row, numeric: "12.5"}, "wrong type": {**row, numeric: "old"},
        "list in a column": {**row, category: ["a"]}, "boolean as a number": {**row, numeric: True},
        "missing column": {k: v for k, v in row.items() if k != numeric},
        "misspelt column": {**{k: v for k, v in row.items() if k != numeric}, numeric + "e": 3},
        "empty list": [], "not an object": [1, 2], "mixed list": [row, "x"], "a string": "row",
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_every_answer_is_the_same_bytes_as_before(fitted, family, monkeypatch):
    """Parity of the lean path with FastAPI + pydantic + the compiled pipeline: rows, gaps, unseen categories,
    odd values and every kind of refusal (the 422s keep pydantic's messages), and what each logs."""
    pipelines, frame = fitted
    pipeline, card = pipelines[family]
    fast, slow, fast_log, slow_log = _apps(pipeline, card, monkeypatch, threshold=0.4)
    records = _records(frame, card["features"], 10)
    json_body = {"Content-Type": "application/json"}
    for what, body in _bodies(records, card["features"]).items():
        raw = json.dumps(body).encode()  # NaN and Infinity as Python writes them (httpx's json= refuses them)
        got, expected = (client.post("/predict", content=raw, headers=json_body) for client in (fast, slow))
        assert (got.status_code, got.content) == (expected.status_code, expected.content), what
        assert got.headers["content-type"] == expected.headers["content-type"], what
    assert fast.post("/predict", json={"x": 1}).status_code == 422  # the refusals did reach pydantic
    for raw, content_type in [(b"{not json", "application/json"), (json.dumps(records[0]).encode(), "text/plain"),
                              (json.dumps(records[0]).encode(), "application/json; charset=utf-8")]:
        got = fast.post("/predict", content=raw, headers={"Content-Type": content_type})
        expected = slow.post("/predict", content=raw, headers={"Content-Type": content_type})
        assert (got.status_code, got.content) == (expected.status_code, expected.content), raw
    assert len(fast_log) == len(slow_log) > 0
    assert [(r["inputs"], r["outputs"]) for r in fast_log] == [(r["inputs"], r["outputs"]) for r in slow_log]


def test_tokens_limits_and_intervals_are_unchanged(fitted, monkeypatch):
    pipelines, frame = fitted
    pipeline, card = pipelines["linear"]
    fast, slow, _, _ = _apps(pipeline, card, monkeypatch, token="s3cret", max_body_bytes=2_000)
    row = _records(frame, card["features"], 1)[0]
    cases = [({}, row), ({"Authorization": "Bearer wrong"}, row), ({"Authorization": "Bearer s3cret"}, row),
             ({"Authorization": "bearer s3cret"}, row), ({"Authorization": "Bearer s3cret"}, [row] * 40)]
    answers = []
    for headers, body in cases:
        got, expected = fast.post("/predict", json=body, headers=headers), slow.post("/predict", json=body,
                                                                                    headers=headers)
        assert (got.status_code, got.content) == (expected.status_code, expected.content), headers
        answers.append(got.status_code)
    assert answers == [401, 401, 200, 200, 413]
    got = fast.post("/predict?interval=0.9", json=row, headers={"Authorization": "Bearer s3cret"})
    assert got.status_code == 422 and "intervals are for regression models" in got.json()["detail"]


def test_a_body_arriving_in_chunks_past_the_limit_answers_413(fitted):
    pipelines, frame = fitted
    pipeline, card = pipelines["linear"]
    client = TestClient(create_app(pipeline, card, max_body_bytes=300))
    row = json.dumps([_records(frame, card["features"], 1)[0]] * 10).encode()
    answer = client.post("/predict", content=iter([row[:200], row[200:]]),  # no Content-Length: chunked
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "larger than this server's limit of 300 bytes" in answer.json()["detail"]


@pytest.mark.parametrize(("body", "expected"), [
    ({"age": 3, "plan": "gold"}, [{"age": 3.0, "plan": "gold"}]),
    ([{"age": None, "plan": 3, "x": 1}], [{"age": None, "plan": 3}]),
    ({"age": True, "plan": "gold"}, None), ({"age": "3", "plan": "gold"}, None), ({"age": 2 ** 60, "plan": "a"}, None),
    ({"plan": "gold"}, None), ([], None), ({"age": 1.0, "plan": {"a": 1}}, None), (["x"], None),
], ids=["int-to-float", "list-and-extra-key", "bool-in-numeric", "text-number", "huge-int", "missing", "empty",
        "object-value", "not-a-row"])
def test_plain_records_takes_only_what_pydantic_keeps_unchanged(body, expected):
    check = plain_records([{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}])
    assert check(body) == expected


def test_a_scorer_that_would_answer_differently_is_not_used(fitted, monkeypatch):
    from engine.deploy import record_scoring

    pipelines, _ = fitted
    pipeline, card = pipelines["linear"]
    exact = record_scoring._model_kernel(pipeline.steps[1][1], True)
    monkeypatch.setattr(record_scoring, "_model_kernel", lambda model, proba: lambda X: exact(X) + 1e-9)
    assert record_scorer(pipeline, card["features"], "classification") is None
    monkeypatch.setattr(record_scoring, "_model_kernel", lambda model, proba: 1 / 0)  # building fails
    assert record_scorer(pipeline, card["features"], "classification") is None


def test_other_models_keep_the_pipeline(fitted):
    from sklearn.base import clone
    from sklearn.dummy import DummyClassifier

    pipelines, frame = fitted
    pipeline, card = pipelines["linear"]
    X = frame[[f["name"] for f in card["features"]]]
    other = type(pipeline)([("prepare", clone(pipeline.steps[0][1])), ("model", DummyClassifier(strategy="prior"))])
    other.fit(X, frame["churned"])
    assert record_scorer(other, card["features"], "classification") is None
    answer = TestClient(create_app(other, card)).post("/predict", json=_records(frame, card["features"], 1)[0])
    assert answer.status_code == 200 and answer.json()["probabilities"][0]["no"] == pytest.approx(
        (frame["churned"] == "no").mean())
