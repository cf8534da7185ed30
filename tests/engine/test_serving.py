"""The REST app of one model: schema-checked requests, single and batch predictions, the card and health."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from engine import DEFAULT_RECIPE, Problem, infer_schema, prepare_target, split_rows, validate_recipe
from engine.serving import MAX_ROWS, create_app
from engine.training import train_candidates


@pytest.fixture(scope="module")
def churn(data_dir_module):
    frame = pd.read_csv(data_dir_module / "tiny_churn.csv")
    problem = Problem("churned", "classification", "accuracy")
    recipe = validate_recipe({**DEFAULT_RECIPE, "drop_columns": ["customer_id"]})
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, problem.task, recipe["split"], rows)
    schema = infer_schema(frame)
    candidates = train_candidates(rows, schema, problem, recipe, {"models": ["linear"], "cv_folds": 0}, split)
    pipeline = next(c.pipeline for c in candidates if c.model == "linear")
    kinds = {c.name: c.kind for c in schema}
    features = [{"name": n, "kind": kinds[n], "dtype": "x"} for n in pipeline.feature_names_in_]
    card = {"task": "classification", "target": "churned", "family": "linear", "sha256": "f" * 64,
            "features": features, "classes": [str(c) for c in pipeline.classes_]}
    return pipeline, card, frame


@pytest.fixture(scope="module")
def data_dir_module():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def client(churn):
    pipeline, card, _ = churn
    return TestClient(create_app(pipeline, card))


def _rows(frame: pd.DataFrame, card: dict, n: int) -> list[dict]:
    names = [f["name"] for f in card["features"]]
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()}
            for r in frame[names].head(n).astype(object).to_dict("records")]


def test_one_row_and_many_rows(client, churn):
    pipeline, card, frame = churn
    one = client.post("/predict", json=_rows(frame, card, 1)[0])
    assert one.status_code == 200, one.text
    body = one.json()
    expected = pipeline.predict(frame[[f["name"] for f in card["features"]]].head(5)).tolist()
    assert body["predictions"] == expected[:1] and len(body["probabilities"]) == 1
    assert set(body["probabilities"][0]) == set(card["classes"])
    assert body["model_version"] == "f" * 12
    many = client.post("/predict", json=_rows(frame, card, 5)).json()
    assert many["predictions"] == expected
    assert all(abs(sum(p.values()) - 1) < 1e-9 for p in many["probabilities"])


def test_missing_values_are_allowed_but_fields_are_required(client, churn):
    _, card, frame = churn
    row = _rows(frame, card, 1)[0]
    assert client.post("/predict", json={**row, "age": None}).status_code == 200
    missing = client.post("/predict", json={k: v for k, v in row.items() if k != "age"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "age"
    assert missing.json()["detail"][0]["type"] == "missing"


@pytest.mark.parametrize(("change", "field", "kind"), [
    ({"age": "old"}, "age", "float_parsing"),
    ({"age": None, "plan": ["a"]}, "plan", "string_type"),
    ({"age": "drop", "agee": 3}, "age", "missing"),  # a misspelt column: the real one is missing
])
def test_bad_fields_get_field_level_errors(client, churn, change, field, kind):
    _, card, frame = churn
    row = {**_rows(frame, card, 1)[0], **change}
    row = {k: v for k, v in row.items() if v != "drop"}
    response = client.post("/predict", json=row)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(field in e["loc"] and e["type"] == kind for e in errors), errors


def test_other_keys_are_ignored(client, churn):
    _, card, frame = churn
    row = _rows(frame, card, 1)[0]
    assert client.post("/predict", json={**row, "customer_id": "c-1", "churned": "yes"}).json()["predictions"] == (
        client.post("/predict", json=row).json()["predictions"])


def test_empty_and_oversized_batches_are_refused(client, churn):
    _, card, frame = churn
    assert client.post("/predict", json=[]).status_code == 422
    too_many = client.post("/predict", json=_rows(frame, card, 1) * (MAX_ROWS + 1))
    assert too_many.status_code == 413 and "At most 10,000 rows" in too_many.json()["detail"]


def test_the_decision_threshold_is_applied(churn):
    pipeline, card, frame = churn
    rows = _rows(frame, card, 10)
    low = TestClient(create_app(pipeline, card, threshold=1e-9)).post("/predict", json=rows).json()
    assert set(low["predictions"]) == {pipeline.classes_.tolist()[1]}


def test_health_card_schema_and_docs(client, churn):
    _, card, _ = churn
    assert client.get("/health").json()["status"] == "ok"
    model = client.get("/model").json()
    assert model["card"]["target"] == "churned"
    assert set(model["input_schema"]["properties"]) == {f["name"] for f in card["features"]}
    assert set(model["input_schema"]["required"]) == {f["name"] for f in card["features"]}
    assert client.get("/openapi.json").json()["paths"]["/predict"]["post"]
    assert client.get("/docs").status_code == 200


def test_every_request_is_reported(churn):
    pipeline, card, frame = churn
    seen = []
    client = TestClient(create_app(pipeline, card, on_predict=seen.append))
    client.post("/predict", json=_rows(frame, card, 3))
    assert len(seen) == 1 and len(seen[0]["inputs"]) == 3 and seen[0]["ms"] > 0
    assert seen[0]["outputs"]["predictions"] and seen[0]["model_version"] == "f" * 12
