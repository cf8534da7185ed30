"""The REST app of one model: schema-checked requests, single and batch predictions, the card and health."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from engine import DEFAULT_RECIPE, Problem, validate_recipe
from engine.deploy.export import export_onnx
from engine.deploy.onnx_feeds import OnnxRunner
from engine.deploy.predict import predict_frame, probability_frame
from engine.deploy.serving import MAX_ROWS, create_app, onnx_predictor, pipeline_predictor, scores
from tests.linear_model import fit_linear


@pytest.fixture(scope="module")
def churn(data_dir_module):
    frame = pd.read_csv(data_dir_module / "tiny_churn.csv")
    problem = Problem("churned", "classification", "accuracy")
    recipe = validate_recipe({**DEFAULT_RECIPE, "drop_columns": ["customer_id"]})
    pipeline, kinds = fit_linear(frame, problem, recipe)
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


@pytest.mark.parametrize(("classes", "threshold"), [
    (["no", "yes"], None), (["no", "yes"], 0.3), (["no", "yes"], 0.9), ([0, 1, 2], None), ([0, 1, 2], 0.2),
    ([False, True], 0.5),
], ids=["argmax", "low-threshold", "high-threshold", "three-int-classes", "threshold-ignored", "bools"])
def test_scores_decide_as_probability_frame(classes, threshold):
    """The REST body built from arrays says what ``engine.deploy.predict.probability_frame`` says (one rule)."""
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(len(classes)), size=25)
    body = scores(proba, np.asarray(classes), threshold)
    frame = probability_frame(proba, np.asarray(classes), threshold)
    assert body["predictions"] == frame["prediction"].tolist()
    assert [type(p) for p in body["predictions"]] == [type(p) for p in frame["prediction"].tolist()]
    assert body["probabilities"] == [{c.removeprefix("proba_"): float(row[c]) for c in frame.columns[1:]}
                                     for _, row in frame.iterrows()]


def test_pipeline_predictor_matches_predict_frame(churn):
    pipeline, card, frame = churn
    rows = _rows(frame, card, 12)
    expected = predict_frame(pipeline, pd.DataFrame.from_records(rows), card["features"], card["task"], 0.4)
    body = pipeline_predictor(pipeline, card["features"], card["task"], 0.4)(rows)
    assert body["predictions"] == expected["prediction"].tolist()
    assert [p[str(c)] for p in body["probabilities"] for c in pipeline.classes_] == pytest.approx(
        expected[[f"proba_{c}" for c in pipeline.classes_]].to_numpy().ravel().tolist(), abs=0)


def test_onnx_runtime_answers_as_the_pipeline_on_odd_rows(churn):
    """The records path (no DataFrame) through a verified export: gaps, unseen categories, bad dates, booleans."""
    pipeline, card, frame = churn
    names = [f["name"] for f in card["features"]]
    exported = export_onnx(pipeline, card["features"], "classification", frame[names])
    assert exported.data is not None, exported.reason
    runner = OnnxRunner(exported.data, card["features"])
    rows = _rows(frame, card, 6)
    odd = [{**rows[0], "plan": "platinum"}, {**rows[1], "age": None, "signup": None},
           {**rows[2], "signup": "not a date", "plan": None}, {**rows[3], "plan": 3, "signup": "2024-02-30"},
           {**rows[4], "age": True}, {k: None for k in names}]
    onnx_app = TestClient(create_app(pipeline, card, threshold=0.4, runtime="onnx",
                                     predictor=onnx_predictor(runner, list(pipeline.classes_), "classification", 0.4)))
    sklearn_app = TestClient(create_app(pipeline, card, threshold=0.4))
    for row in [*rows, *odd]:
        got, expected = onnx_app.post("/predict", json=row).json(), sklearn_app.post("/predict", json=row).json()
        assert got["predictions"] == expected["predictions"], row
        for p, q in zip(got["probabilities"], expected["probabilities"], strict=True):
            assert p == pytest.approx(q, abs=1e-6)
    assert onnx_app.post("/predict", json=odd).json()["predictions"] == (
        sklearn_app.post("/predict", json=odd).json()["predictions"])
    assert onnx_app.get("/health").json()["runtime"] == "onnx"


def test_regression_prediction_intervals_on_request():
    from sklearn.linear_model import LinearRegression

    from engine.evaluate.conformal import interval_table

    X = pd.DataFrame({"size": np.arange(40.0)})
    y = 3 * X["size"] + np.tile([-1.0, 1.0, -2.0, 2.0], 10)
    model = LinearRegression().fit(X, y)
    intervals = interval_table(y, 3 * X["size"])  # validation residuals 1, 1, 2, 2, ...
    card = {"task": "regression", "target": "price", "family": "linear", "sha256": "ab" * 32,
            "features": [{"name": "size", "kind": "numeric", "dtype": "float64"}], "prediction_intervals": intervals}
    seen = []
    client = TestClient(create_app(model, card, on_predict=seen.append))

    plain = client.post("/predict", json=[{"size": 10}, {"size": 20}]).json()
    assert "interval" not in plain
    body = client.post("/predict?interval=0.9", json=[{"size": 10}, {"size": 20}]).json()
    half = next(i["half_width"] for i in intervals if i["level"] == 0.9)
    assert half == pytest.approx(2.0)  # the 90% quantile of the residuals |±1|, |±2|
    assert body["predictions"] == plain["predictions"]
    assert body["interval"]["level"] == 0.9 and body["interval"]["half_width"] == half
    assert body["interval"]["lower"] == pytest.approx([p - half for p in plain["predictions"]])
    assert body["interval"]["upper"] == pytest.approx([p + half for p in plain["predictions"]])
    assert 0.8 <= body["interval"]["coverage"] <= 1
    assert seen[-1]["outputs"]["interval"]["level"] == 0.9  # the monitoring log keeps what was answered

    wrong = client.post("/predict?interval=0.5", json={"size": 1})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == ("This model has no 0.5 prediction interval; the levels it offers are "
                                      "0.8, 0.9, 0.95.")
    assert client.post("/predict?interval=abc", json={"size": 1}).status_code == 422
    assert [i["level"] for i in client.get("/model").json()["card"]["prediction_intervals"]] == [0.8, 0.9, 0.95]


def test_a_classifier_refuses_an_interval(client, churn):
    _, card, frame = churn
    answer = client.post("/predict?interval=0.9", json=_rows(frame, card, 1))
    assert answer.status_code == 422
    assert "intervals are for regression models" in answer.json()["detail"]


def test_the_pipeline_predictor_scores_records_as_the_pipeline_scores_their_frame(churn):
    """A compiled recipe scores JSON records without a DataFrame of them; the answers are those of the frame."""
    pipeline, card, frame = churn
    names = [f["name"] for f in card["features"]]
    X = frame[names].head(30).astype(object)
    records = X.where(X.notna(), None).to_dict("records")
    odd = {**records[0], **{n: None for n in names[:2]}}
    for feature in card["features"]:  # text in a numeric column, a number for a category, an unseen category
        odd[feature["name"]] = {"numeric": "12.5", "categorical": 3, "boolean": "maybe"}.get(feature["kind"], "zzz")
    records += [odd, {n: None for n in names}, {}]
    body = pipeline_predictor(pipeline, card["features"], "classification")(records)
    proba = pipeline.predict_proba(pd.DataFrame.from_records(records, columns=names))
    assert body["predictions"] == [str(c) for c in pipeline.classes_[proba.argmax(axis=1)]]
    np.testing.assert_allclose([list(p.values()) for p in body["probabilities"]], proba, rtol=0, atol=1e-12)
