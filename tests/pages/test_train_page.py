"""Train page: tuning settings are saved with the job, and a finished search shows its trials and plots."""

from __future__ import annotations

import pytest

from tests.pages.helpers import assert_clean, open_page
from usecases import projects
from usecases.training import run_training_job


def test_tuning_settings_reach_the_job(ws, churn_project, monkeypatch):
    started = {}
    monkeypatch.setattr("usecases.training.spawn_worker", lambda ws, job_id: started.setdefault("job", job_id))
    at = open_page("train", churn_project["id"])
    at.multiselect[0].set_value(["decision_tree", "knn"])
    boxes = {s.label: s for s in at.selectbox}
    boxes["Hyper-parameter search"].select("tpe")
    inputs = {n.label: n for n in at.number_input}
    inputs["Trials per model (in total with AutoML)"].set_value(7)
    inputs["Stop after this many trials without improvement (0 = never)"].set_value(3)
    at.toggle[1].set_value(True)  # the ensemble
    at.button[0].click().run()
    assert_clean(at)
    settings = projects.project_settings(ws, churn_project["id"])
    assert (settings["search"], settings["n_trials"], settings["patience"], settings["ensemble"]) == (
        "tpe", 7, 3, True)
    assert settings["models"] == ["baseline", "decision_tree", "knn"]


def test_a_changed_setting_is_kept_with_the_project_without_starting_a_run(ws, churn_project, monkeypatch):
    """Issue 17 item 4: a value set and left (another page, another session) is there on coming back."""
    pid = churn_project["id"]
    monkeypatch.setattr("usecases.training.spawn_worker", lambda ws, job_id: pytest.fail("a run was started"))
    at = open_page("train", pid)
    changed = projects.open_project(ws, pid)["updated_at"]
    at.run()
    assert projects.open_project(ws, pid)["updated_at"] == changed  # drawing the page again writes nothing
    next(n for n in at.number_input if n.label.startswith("Trials per model")).set_value(35).run()
    assert_clean(at)
    assert projects.project_settings(ws, pid)["n_trials"] == 35
    assert projects.project_jobs(ws, pid) == []
    again = open_page("train", pid)
    assert next(n for n in again.number_input if n.label.startswith("Trials per model")).value == 35


@pytest.mark.slow
def test_a_finished_search_shows_its_trials(ws, churn_project):
    pid = churn_project["id"]
    projects.save_settings(ws, pid, {"models": ["decision_tree"], "cv_folds": 2, "search": "random", "n_trials": 4})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    at = open_page("train", pid)
    assert_clean(at)
    assert any(c.value.startswith("4 trials: 4 complete") for c in at.caption)
    assert [e.label for e in at.expander if e.label.startswith("What the search learned")]


@pytest.mark.slow
def test_a_finished_search_can_be_continued(ws, churn_project, monkeypatch):
    pid = churn_project["id"]
    projects.save_settings(ws, pid, {"models": ["decision_tree"], "cv_folds": 2, "search": "random", "n_trials": 3})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    started = []
    monkeypatch.setattr("usecases.training.spawn_worker", lambda ws, job_id: started.append(job_id))
    at = open_page("train", pid)
    assert any("the 3 trials so far are kept" in c.value for c in at.caption)
    assert [f.proto.form.enter_to_submit for f in at.get("form")] == [False]  # only the button continues it
    inputs = {n.label: n for n in at.number_input}
    inputs["More trials (0 = as many as time allows)"].set_value(5)
    inputs["More seconds (0 = no time limit)"].set_value(20)
    next(b for b in at.button if b.label == "Continue the search").click().run()
    assert_clean(at)
    extension = ws.get_job(started[0])
    run = ws.list_runs(pid)[0]
    assert (extension["kind"], extension["params"]) == ("extend", {"run_id": run["id"], "n_trials": 5,
                                                                  "time_budget": 20.0})


def test_one_click_automl_starts_the_automl_policy_and_shows_its_settings(ws, churn_project, monkeypatch):
    pid = churn_project["id"]
    started = []
    monkeypatch.setattr("usecases.training.spawn_worker", lambda ws, job_id: started.append(job_id))
    at = open_page("train", pid)
    next(n for n in at.number_input if n.label.startswith("Time budget")).set_value(45).run()
    next(b for b in at.button if b.label == "One-click AutoML (45 s)").click().run()
    assert_clean(at)
    saved = projects.project_settings(ws, pid)
    assert (saved["automl"], saved["search"], saved["time_budget"], saved["cv_folds"]) == (True, "tpe", 45.0, 3)
    assert saved["models"] == ["baseline", "linear", "random_forest", "extra_trees", "gradient_boosting", "knn"]
    assert len(started) == 1
    # the widgets show what the run uses, and drawing them again does not save the old settings back
    assert next(t for t in at.toggle if t.label.startswith("AutoML")).value is True
    assert sorted(at.multiselect[0].value) == sorted(saved["models"][1:])
    at.run()
    assert projects.project_settings(ws, pid) == saved


@pytest.mark.slow
def test_a_finished_automl_shows_each_familys_best_the_portfolio_and_the_winner(ws, churn_project):
    pid = churn_project["id"]
    projects.save_settings(ws, pid, {"models": ["linear", "decision_tree"], "cv_folds": 3, "search": "tpe",
                                     "automl": True, "n_trials": 4, "pruner": "median"})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    at = open_page("train", pid)
    assert_clean(at)
    tables = [t.value for t in at.table]
    best, portfolio = tables[0], tables[1]
    assert sorted(best.index) == ["Decision tree", "Logistic / linear regression"]
    assert best["CV score"].str.fullmatch(r"0\.\d{4} ± 0\.\d{4}").all()
    assert sum(int(text.split(" of ")[1]) for text in best["trials finished"]) == 4  # the study's 4 trials
    assert portfolio["model"].tolist()[:2] == ["Logistic / linear regression", "Decision tree"]
    assert portfolio["outcome"].tolist()[:2] == ["finished", "finished"]
    [verdict] = [s.value for s in at.success]
    assert verdict.startswith(f"{best.index[0]} won: ROC-AUC {best['CV score'].iloc[0]} out-of-fold (3 folds) vs ")
    assert not at.warning  # both chosen families have a model
