"""Issue 17 item 1: one decision threshold, saved once on Evaluate, decides every score, chart, download, server
and drift reference of the model (the bundled churn sample, one quick linear model, threshold 0.7)."""

from __future__ import annotations

import hashlib
import io

import joblib
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from engine.deploy.export import loads_skops
from engine.evaluate.metrics import compute_metrics
from usecases import evaluation, export, monitoring, scoring
from usecases.runtime import card_markdown
from usecases.serving import model_app

pytestmark = pytest.mark.slow  # one training job on 1,500 rows

THRESHOLD = 0.7


@pytest.fixture
def model_id(ws, churn_champion) -> int:
    """The churn champion with the threshold 0.7 saved, as the Evaluate page saves it."""
    model_id = churn_champion["champion_model_id"]
    monitoring.model_reference(ws, model_id)  # made by training, before any threshold
    assert evaluation.set_threshold(ws, model_id, THRESHOLD) == THRESHOLD
    return model_id


def _decided(frame: pd.DataFrame, threshold: float) -> np.ndarray:
    return np.where(frame["proba_yes"] >= threshold, "yes", "no")


def test_scores_and_confusion_matrix_are_decided_at_the_saved_threshold(ws, churn_champion, model_id):
    predictions, classes = evaluation.validation_predictions(ws, model_id)
    assert classes == ["no", "yes"]
    expected = _decided(predictions, THRESHOLD)
    assert (predictions["y_pred"].astype(str).to_numpy() == expected).all()
    at_half = _decided(predictions, 0.5)
    assert (expected != at_half).sum() > 0  # 0.7 really changes some rows on these validation rows
    flagged = evaluation.threshold_report(ws, model_id)[0].set_index("threshold").loc[THRESHOLD, "flagged"]
    assert (expected == "yes").sum() == flagged  # the confusion matrix's predicted 'yes' column

    accuracy = float((expected == predictions["y_true"].astype(str)).mean())
    scores = evaluation.score_table(ws, model_id, n_boot=20).set_index("metric")["value"]
    assert scores["accuracy"] == pytest.approx(accuracy)
    assert scores["roc_auc"] == pytest.approx(ws.get_model(model_id)["valid_metrics"]["roc_auc"])  # no threshold
    report = evaluation.class_report(ws, model_id).set_index("class")
    hits = ((expected == "yes") & (predictions["y_true"].astype(str) == "yes")).sum()
    assert report.loc["yes", "recall"] == pytest.approx(hits / (predictions["y_true"].astype(str) == "yes").sum())

    board = evaluation.leaderboard(ws, churn_champion["id"]).set_index("model_id")
    assert board.loc[model_id, "threshold"] == THRESHOLD
    metric = board.loc[model_id, "metric"]
    expected_metric = compute_metrics("classification", predictions["y_true"], expected,
                                      predictions[["proba_no", "proba_yes"]].to_numpy(), classes)[metric]
    assert board.loc[model_id, "validation"] == pytest.approx(expected_metric)


def test_downloads_predict_as_the_app_scores(ws, churn_champion, model_id):
    frame = ws.load_dataset(churn_champion["dataset_id"]).drop(columns=["churned"]).head(400)
    scored, notes = scoring.score_upload(ws, model_id, frame.to_csv(index=False).encode(), "new.csv")
    assert any(f"threshold {THRESHOLD:g}" in note for note in notes)
    app = scored["prediction"].astype(str).to_numpy()
    assert (app == _decided(scored, THRESHOLD)).all() and (app != _decided(scored, 0.5)).any()

    downloaded = joblib.load(io.BytesIO(export.joblib_download(ws, model_id)))
    assert (downloaded.predict(frame).astype(str) == app).all()
    assert downloaded.threshold == THRESHOLD
    skops = export.skops_export(ws, model_id)
    assert skops.info["decision_threshold"] == THRESHOLD
    assert (loads_skops(skops.data).predict(frame).astype(str) == app).all()
    assert export.card_json(ws, model_id)["exports"]["model.skops"]["decision_threshold"] == THRESHOLD

    evaluation.set_threshold(ws, model_id, 0.3)  # another threshold makes the files again
    again = joblib.load(io.BytesIO(export.joblib_download(ws, model_id)))
    assert again.threshold == 0.3 and loads_skops(export.skops_export(ws, model_id).data).threshold == 0.3


def test_the_model_card_gives_the_sha256_of_the_joblib_file_it_is_downloaded_with(ws, model_id):
    """Regression: the card gave the stored pipeline's sha256 beside a download wrapping it at the threshold."""
    downloaded = hashlib.sha256(export.joblib_download(ws, model_id)).hexdigest()
    stored = ws.get_model(model_id)["sha256"]
    card = export.card_json(ws, model_id)
    assert card["sha256"] == downloaded != stored
    assert card["pipeline_sha256"] == stored and card["decision_threshold"] == THRESHOLD
    assert f"- **Model file sha256**: `{downloaded}`" in card_markdown(ws, model_id)

    evaluation.set_threshold(ws, model_id, 0.3)  # a new threshold, a new file: the card follows it
    again = hashlib.sha256(export.joblib_download(ws, model_id)).hexdigest()
    assert export.card_json(ws, model_id)["sha256"] == again not in (downloaded, stored)
    ws.set_threshold(model_id, None)  # no threshold: the download is the stored file itself
    assert export.card_json(ws, model_id)["sha256"] == hashlib.sha256(export.joblib_download(ws, model_id)).hexdigest()
    assert "pipeline_sha256" not in export.card_json(ws, model_id)


def test_the_rest_server_on_either_runtime_agrees_with_the_download(ws, churn_champion, model_id):
    frame = ws.load_dataset(churn_champion["dataset_id"]).drop(columns=["churned"]).head(200)
    downloaded = joblib.load(io.BytesIO(export.joblib_download(ws, model_id)))
    expected = downloaded.predict(frame).astype(str).tolist()
    assert export.onnx_export(ws, model_id).data is not None  # the linear model converts
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for runtime in ("scikit-learn", "onnx"):
        client = TestClient(model_app(ws=ws, model_id=model_id, runtime=runtime, log=False))
        body = client.post("/predict", json=records)
        assert body.status_code == 200, body.text
        assert [str(p) for p in body.json()["predictions"]] == expected, runtime


def test_unshifted_rows_show_no_prediction_drift_after_a_new_threshold(ws, churn_champion, model_id):
    rows = evaluation.model_rows(ws, model_id)
    train = rows.X.iloc[rows.train]  # the reference's own rows: nothing has shifted
    monitoring.record_batch(ws, model_id, train, "same rows", "upload")
    check = monitoring.drift_check(ws, model_id)
    assert check.reference["decision_threshold"] == THRESHOLD
    assert check.report.prediction["verdict"] == "ok", check.report.prediction
    shares = check.reference["prediction"]
    assert shares is not None


def test_the_champion_server_follows_a_newly_saved_threshold(ws, churn_champion, model_id):
    from usecases.serving import ChampionApp

    frame = ws.load_dataset(churn_champion["dataset_id"]).drop(columns=["churned"]).head(400)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    answered = {}
    with TestClient(ChampionApp(ws, churn_champion["id"], log=False, check_every=0.0)) as client:
        for threshold in (THRESHOLD, 0.3):  # saved on Evaluate while the server runs
            evaluation.set_threshold(ws, model_id, threshold)
            body = client.post("/predict", json=records).json()
            answered[threshold] = [str(p) == "yes" for p in body["predictions"]]
            assert answered[threshold] == [p["yes"] >= threshold for p in body["probabilities"]], threshold
    assert answered[THRESHOLD] != answered[0.3]
