"""Preview, the training job body (run in-process), leaderboard, final test report and scoring."""

from __future__ import annotations

import pytest

from engine import ColumnError, MalformedFileError, ModelError, Problem, TargetError
from storage import NotFoundError, sha256_file
from tests.champion import confirm_champion
from usecases import evaluation, preparation, projects, scoring
from usecases.training import run_training_job, start_training


# -- preview ---------------------------------------------------------------------------------
def test_preview_splits_and_transforms_training_rows(ws, loaded):
    preview = preparation.preview(ws, loaded)
    assert preview.split_table.to_dict("records") == [
        {"split": "train", "rows": 22, "share": "73%", "class no": "54.5%", "class yes": "45.5%"},
        {"split": "valid", "rows": 4, "share": "13%", "class no": "50.0%", "class yes": "50.0%"},
        {"split": "test", "rows": 4, "share": "13%", "class no": "50.0%", "class yes": "50.0%"},
    ]
    # features: age, plan, visits, signup (the ID and the target are left out)
    assert preview.shape_before == (22, 4)
    assert list(preview.transformed.columns) == [
        "age", "visits", "signup_year", "signup_month", "signup_day", "signup_dayofweek", "plan_basic",
        "plan_premium", "plan_standard",
    ]
    assert preview.shape_after == (22, 9)
    assert (preview.fitted_rows, preview.sampled, preview.notes) == (22, False, [])
    assert not preview.transformed.isna().any().any()


def test_preview_follows_the_saved_recipe(ws, loaded):
    projects.save_recipe(ws, loaded, {"drop_columns": ["signup"], "categorical": {"encode": "ordinal"},
                                      "split": {"train": 0.8, "valid": 0.2, "test": 0.0}})
    preview = preparation.preview(ws, loaded)
    assert preview.split_table["rows"].tolist() == [24, 6, 0]
    assert list(preview.transformed.columns) == ["age", "visits", "plan"]


def test_preview_notes_rows_without_a_target(ws, project):
    data = b"x,y\n" + b"".join(f"{i},{'ab'[i % 2]}\n".encode() for i in range(20)) + b"20,\n"
    projects.import_file(ws, project["id"], data, "t.csv")
    projects.set_problem(ws, project["id"], Problem("y", "classification", "accuracy"))
    preview = preparation.preview(ws, project["id"])
    assert preview.notes == ["1 row without a target value is left out of every split."]
    assert preview.split_table["rows"].sum() == 20


# -- the training job, in-process ---------------------------------------------------------------
@pytest.mark.slow
def test_training_job_saves_models_run_and_champion(ws, loaded, trained):
    assert trained["status"] == "succeeded"
    assert trained["progress"] == 1.0 and trained["finished_at"]
    assert trained["message"].startswith("Done: the winner is ")
    assert "1.0000" in trained["message"]
    assert [line.split(" ", 1)[1] for line in trained["log"].splitlines()] == [
        "Training Baseline (majority class / mean) (1 of 2)", "baseline: ok",
        "Training Logistic / linear regression (2 of 2)", "linear: ok", "Training finished",
    ]
    (run,) = ws.list_runs(loaded)
    assert run["job_id"] == trained["id"]
    assert run["split"] == {"train": 22, "valid": 4, "test": 4, "stratified": True, "strategy": "stratified"}
    assert run["dataset_sha256"] == projects.active_dataset(ws, loaded)["sha256"]
    models = ws.list_models(loaded)
    assert [(m["family"], m["status"]) for m in models] == [("baseline", "ok"), ("linear", "ok")]
    for model in models:
        assert model["sha256"] == sha256_file(ws.model_dir(model["id"]) / "model.joblib")
    champion = ws.get_project(loaded)["champion_model_id"]
    assert champion == models[1]["id"]  # visits separate the classes: linear beats the baseline
    pipeline, card = ws.load_model(champion)
    assert (card["task"], card["target"], card["classes"], card["family"]) == (
        "classification", "churned", ["no", "yes"], "linear")
    assert [f["name"] for f in card["features"]] == ["age", "plan", "visits", "signup"]
    assert card["trained_on"] == {"split": "train", "rows": 22}


@pytest.mark.slow
def test_a_failing_job_records_why(ws, loaded, keep_sigterm):
    projects.save_settings(ws, loaded, {"models": ["linear"], "cv_folds": 0, "time_budget": 1e-6})
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    job = ws.get_job(job["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("No model could be trained (baseline: the time budget ran out")
    assert ws.get_project(loaded)["champion_model_id"] is None


# -- evaluation --------------------------------------------------------------------------------
@pytest.mark.slow
def test_leaderboard_best_first(ws, loaded, trained):
    table = evaluation.leaderboard(ws, loaded)
    assert table["model"].tolist() == ["linear", "baseline"]
    assert table["validation"].tolist() == [1.0, 0.5]
    assert table["champion"].tolist() == [True, False]
    assert table["metric"].unique().tolist() == ["accuracy"]
    assert table["cv_mean"].isna().all()  # cv_folds 0
    assert table["test"].isna().all()


def test_empty_leaderboard(ws, project):
    assert evaluation.leaderboard(ws, project["id"]).empty


@pytest.mark.slow
def test_set_champion(ws, loaded, trained):
    baseline = ws.list_models(loaded)[0]
    assert evaluation.set_champion(ws, loaded, baseline["id"])["champion_model_id"] == baseline["id"]
    other = ws.create_project("Other")
    with pytest.raises(ModelError, match=f"Model {baseline['id']} is not a trained model of this project."):
        evaluation.set_champion(ws, other["id"], baseline["id"])


@pytest.mark.slow
def test_final_test_report_is_computed_once(ws, loaded, trained, monkeypatch):
    champion = ws.get_project(loaded)["champion_model_id"]
    first = evaluation.final_test_report(ws, champion)
    assert first["rows"] == 4
    assert first["accuracy"] == 1.0
    assert ws.get_model(champion)["test_metrics"] == first

    def must_not_score(*args, **kwargs):
        raise AssertionError("the test split was scored a second time")

    monkeypatch.setattr(evaluation, "evaluate", must_not_score)
    assert evaluation.final_test_report(ws, champion) == first
    assert evaluation.leaderboard(ws, loaded).set_index("model_id").loc[champion, "test"] == 1.0


@pytest.mark.slow
def test_no_final_test_without_a_test_split(ws, loaded, keep_sigterm):
    projects.save_recipe(ws, loaded, {"split": {"train": 0.8, "valid": 0.2, "test": 0.0}})
    projects.save_settings(ws, loaded, {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    with pytest.raises(ModelError, match=r"This run kept no test split \(test share 0\)"):
        evaluation.final_test_report(ws, confirm_champion(ws, loaded))


@pytest.mark.slow
def test_score_table_has_intervals_and_the_project_metric_first(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    table = evaluation.score_table(ws, champion, n_boot=50)
    assert table["metric"].iloc[0] == "accuracy"
    assert {"roc_auc", "pr_auc", "mcc", "f1_weighted", "log_loss"} <= set(table["metric"])
    assert ((table["low"] <= table["value"] + 1e-9) & (table["value"] <= table["high"] + 1e-9)).all()
    assert evaluation.validation_interval(ws, champion, "accuracy") == (1.0, 1.0)  # 4 rows, all right
    report = evaluation.class_report(ws, champion)
    assert report["class"].tolist() == ["no", "yes"] and report["support"].sum() == 4
    predictions, classes = evaluation.validation_predictions(ws, champion)
    assert classes == ["no", "yes"] and len(predictions) == 4


@pytest.mark.slow
def test_threshold_is_stored_with_the_model(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    assert evaluation.model_threshold(ws, champion) is None
    table, positive = evaluation.threshold_report(ws, champion)
    assert positive == "yes" and len(table) == 99
    assert evaluation.set_threshold(ws, champion, 0.35) == 0.35
    assert evaluation.model_threshold(ws, champion) == 0.35
    board = evaluation.leaderboard(ws, loaded)  # the stored threshold does not disturb the scores
    assert board.set_index("model_id").loc[champion, "validation"] == 1.0
    assert evaluation.score_table(ws, champion, n_boot=10)["metric"].str.contains("threshold").sum() == 0
    with pytest.raises(ModelError, match=r"must be a number in \(0, 1\)"):
        evaluation.set_threshold(ws, champion, 1.5)


@pytest.mark.slow
def test_explanations_use_the_runs_rows(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    rows = evaluation.model_rows(ws, champion)
    assert (len(rows.train), len(rows.valid)) == (22, 4)
    importance = evaluation.permutation_importance(ws, champion)
    assert set(importance["column"]) == set(rows.X.columns) and importance["rows"].iloc[0] == 4
    assert evaluation.numeric_columns(ws, champion) == ["age", "visits"]
    dependence = evaluation.partial_dependence(ws, champion, "visits")
    assert dependence.n_rows == 4 and list(dependence.curves) == ["P(yes)"]
    with pytest.raises(ModelError, match="does not use column 'nope'"):
        evaluation.partial_dependence(ws, champion, "nope")
    curve = evaluation.learning_curve(ws, champion)
    assert curve.metric == "accuracy" and len(curve.sizes) == 5 and curve.n_rows == 22


@pytest.mark.slow
def test_cv_fold_scores_of_the_latest_run(ws, loaded, keep_sigterm):
    projects.save_settings(ws, loaded, {"models": ["linear"], "cv_folds": 3})
    run_training_job(ws, ws.create_job(loaded, "train")["id"])
    folds = evaluation.cv_fold_scores(ws, loaded)
    assert folds.groupby("model")["fold"].count().to_dict() == {"baseline": 3, "linear": 3}
    assert evaluation.cv_fold_scores(ws, ws.create_project("Empty")["id"]).empty


# -- scoring -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_score_upload_puts_predictions_after_the_inputs(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    upload = (b"visits,plan,age,signup,churned,prediction\n"
              b"1,basic,30,2024-01-01,no,old\n"
              b"12,never-seen,,not a date,yes,old\n"
              b"2,,44,,,old\n")
    scored, notes = scoring.score_upload(ws, champion, upload, "new.csv")
    assert list(scored.columns) == ["visits", "plan", "age", "signup", "churned", "prediction", "proba_no",
                                    "proba_yes"]
    assert scored["prediction"].tolist() == ["yes", "no", "yes"]
    assert (scored["proba_no"] + scored["proba_yes"]).round(9).tolist() == [1.0, 1.0, 1.0]
    assert notes == ["Missing values are filled as in training: 'age' (1 row), 'plan' (1 row), 'signup' (1 row)."]
    # A decision threshold saved on Evaluate decides the classes from then on.
    evaluation.set_threshold(ws, champion, 0.999)
    rescored, notes = scoring.score_upload(ws, champion, upload, "new.csv")
    assert rescored["prediction"].tolist() == ["no", "no", "no"]
    assert rescored["proba_yes"].tolist() == scored["proba_yes"].tolist()
    assert notes[-1] == "Classes are decided with the decision threshold 0.999 saved with the model."


@pytest.mark.slow
def test_score_upload_errors(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    with pytest.raises(MalformedFileError):
        scoring.score_upload(ws, champion, b"\x00\x01\x02junk", "junk.csv")
    with pytest.raises(ColumnError, match=r"lacks 3 column\(s\) the model needs"):
        scoring.score_upload(ws, champion, b"visits\n3\n", "few.csv")
    with pytest.raises(NotFoundError):
        scoring.score_upload(ws, 999, b"visits\n3\n", "x.csv")


def test_training_needs_a_problem_first(ws, project):
    with pytest.raises(TargetError, match="Choose a target column on the Data page first."):
        start_training(ws, project["id"], {})
    assert ws.list_jobs(project["id"]) == []
