"""Project use cases: importing data, the problem, column kinds, recipe and settings, all via storage."""

from __future__ import annotations

import io
import re
import urllib.request

import openpyxl
import pytest

from engine import (
    DEFAULT_RECIPE,
    ColumnError,
    DataError,
    MalformedFileError,
    Problem,
    RecipeError,
    TargetError,
    apply_kinds,
)
from engine.data.io import CsvOptions
from storage import NotFoundError, sha256_file
from usecases import USER_ERRORS, default_home, open_workspace, projects


def test_default_home_follows_the_environment(_isolated_home):
    assert default_home() == _isolated_home.resolve()
    assert open_workspace().home == _isolated_home.resolve()


def test_user_errors_cover_both_layers():
    assert issubclass(TargetError, USER_ERRORS) and issubclass(NotFoundError, USER_ERRORS)


# -- importing -----------------------------------------------------------------------------
def test_import_sample_stores_data_and_proposes_its_target(ws, project):
    dataset = projects.import_sample(ws, project["id"], "iris")
    assert (dataset["name"], dataset["source"], dataset["n_rows"], dataset["n_cols"]) == (
        "iris (sample)", "sample:iris", 150, 5)
    assert dataset["sha256"] == sha256_file(ws.home / dataset["path"])
    stored = ws.get_project(project["id"])
    assert stored["dataset_id"] == dataset["id"]
    assert projects.project_problem(ws, project["id"]) == Problem("species", "classification", "f1_macro")
    assert projects.project_frame(ws, project["id"]).shape == (150, 5)


def test_import_file_infers_the_schema(ws, project, churn_csv):
    dataset = projects.import_file(ws, project["id"], churn_csv, "tiny_churn.csv")
    assert (dataset["name"], dataset["source"], dataset["notes"]) == ("tiny_churn.csv", "upload:tiny_churn.csv", [])
    kinds = {c.name: c.kind for c in projects.project_schema(ws, project["id"])}
    assert kinds == {"customer_id": "identifier", "age": "numeric", "plan": "categorical", "visits": "numeric",
                     "signup": "datetime", "churned": "boolean"}
    assert projects.active_dataset(ws, project["id"])["id"] == dataset["id"]


def test_import_latin1_keeps_the_encoding_note(ws, project, data_dir):
    dataset = projects.import_file(ws, project["id"], (data_dir / "latin1.csv").read_bytes(), "latin1.csv")
    assert dataset["notes"] == ["'latin1.csv' is not UTF-8; it was read as cp1252."]
    assert projects.project_frame(ws, project["id"])["city"].tolist() == ["München", "Köln", "Zürich"]


def test_import_of_a_mixed_column_notes_it(ws, project, data_dir):
    dataset = projects.import_file(ws, project["id"], (data_dir / "mixed_types.csv").read_bytes(), "mixed.csv")
    assert dataset["notes"] == [
        "Column 'amount' mixes numbers and text (83% numeric; e.g. 'three'); kept as categorical - "
        "set it to numeric to turn the text into missing values."
    ]


def test_import_of_junk_stores_nothing(ws, project, data_dir):
    with pytest.raises(MalformedFileError, match="binary data"):
        projects.import_file(ws, project["id"], (data_dir / "binary_junk.csv").read_bytes(), "junk.csv")
    assert ws.list_datasets(project["id"]) == []
    assert projects.active_dataset(ws, project["id"]) is None
    assert projects.project_schema(ws, project["id"]) == []


def test_a_new_import_resets_kinds_and_drops_a_target_it_lacks(ws, loaded):
    projects.set_column_kinds(ws, loaded, {"visits": "categorical"})
    projects.import_file(ws, loaded, b"a,b\n1,2\n3,4\n", "other.csv")
    stored = ws.get_project(loaded)
    assert (stored["column_kinds"], stored["problem"]) == ({}, None)
    assert len(ws.list_datasets(loaded)) == 2


def test_a_new_import_keeps_a_target_it_still_has(ws, loaded, churn_csv):
    projects.import_file(ws, loaded, churn_csv, "again.csv")
    assert projects.project_problem(ws, loaded).target == "churned"


def test_no_data_yet(ws, project):
    with pytest.raises(ColumnError, match="This project has no data yet; upload a file or open a sample"):
        projects.project_frame(ws, project["id"])
    with pytest.raises(ColumnError, match="no data yet"):
        projects.set_column_kinds(ws, project["id"], {})


# -- the problem -----------------------------------------------------------------------------
def test_propose_for_a_column(ws, loaded):
    assert projects.propose_for(ws, loaded, "churned") == Problem("churned", "classification", "roc_auc")
    assert projects.propose_for(ws, loaded, "age") == Problem("age", "regression", "rmse")
    with pytest.raises(TargetError, match="Target column 'nope' is not in the data."):
        projects.propose_for(ws, loaded, "nope")


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        pytest.param(Problem("all_same", "classification", "accuracy"), "has only one value ('x')", id="one-value"),
        pytest.param(Problem("all_blank", "classification", "accuracy"), "has no values (all 8 are missing)",
                     id="all-missing"),
        pytest.param(Problem("label", "regression", "rmse"), "regression needs numbers", id="text-regression"),
    ],
)
def test_set_problem_refuses_and_stores_nothing(ws, project, problem, message):
    data = b"all_same,all_blank,label,x\n" + b"x,,a,1\nx,,b,2\n" * 4
    projects.import_file(ws, project["id"], data, "t.csv")
    with pytest.raises(TargetError, match=re.escape(message)):
        projects.set_problem(ws, project["id"], problem)
    assert projects.project_problem(ws, project["id"]) is None


def test_set_problem_returns_notes(ws, project):
    data = b"x,y\n" + b"1,a\n2,b\n" * 5 + b"3,\n"
    projects.import_file(ws, project["id"], data, "t.csv")
    notes = projects.set_problem(ws, project["id"], Problem("y", "classification", "accuracy"))
    assert notes == ["Target 'y' has 1 missing values; those rows are left out of training."]
    assert ws.get_project(project["id"])["problem"] == {"target": "y", "task": "classification",
                                                        "metric": "accuracy"}


# -- column kinds ------------------------------------------------------------------------------
def test_set_column_kinds_stores_only_changes(ws, loaded):
    schema = projects.set_column_kinds(ws, loaded, {"visits": "categorical", "plan": "categorical"})
    assert ws.get_project(loaded)["column_kinds"] == {"visits": "categorical"}
    info = {c.name: c for c in schema}
    assert (info["visits"].kind, info["visits"].note) == ("categorical", "set to categorical by you (inferred numeric)")
    assert (info["plan"].kind, info["plan"].note) == ("categorical", "")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nope": "numeric"}, r"Columns \['nope'\] are not in the data."),
        ({"age": "money"}, r"Unknown column kinds \{'age': 'money'\}; use one of \["),
    ],
    ids=["unknown-column", "unknown-kind"],
)
def test_set_column_kinds_refuses_bad_overrides(ws, loaded, overrides, message):
    with pytest.raises(ColumnError, match=message):
        projects.set_column_kinds(ws, loaded, overrides)
    assert ws.get_project(loaded)["column_kinds"] == {}


def test_setting_a_mixed_column_to_numeric_turns_its_text_into_missing(ws, project, data_dir):
    projects.import_file(ws, project["id"], (data_dir / "mixed_types.csv").read_bytes(), "mixed.csv")
    projects.set_column_kinds(ws, project["id"], {"amount": "numeric"})
    frame = apply_kinds(projects.project_frame(ws, project["id"]), projects.project_schema(ws, project["id"]))
    assert frame["amount"].tolist()[:3] == [1.0, 2.0, 3.0]
    assert frame["amount"].isna().tolist() == [False, False, False, True, False, False]


# -- recipe and settings -------------------------------------------------------------------------
def test_recipe_defaults_then_saved_and_completed(ws, loaded):
    assert projects.project_recipe(ws, loaded) == DEFAULT_RECIPE
    saved = projects.save_recipe(ws, loaded, {"steps": [{"type": "scale", "params": {"method": "minmax"}}],
                                              "drop_columns": ["signup"]})
    assert saved["steps"] == [{"type": "scale", "columns": {"kind": "numeric"}, "params": {"method": "minmax"},
                               "enabled": True, "pinned": True}]
    assert projects.project_recipe(ws, loaded) == saved == ws.get_project(loaded)["recipe"]


def test_invalid_recipe_is_not_saved(ws, loaded):
    with pytest.raises(RecipeError, match="must add up to 1"):
        projects.save_recipe(ws, loaded, {"split": {"train": 0.5}})
    assert ws.get_project(loaded)["recipe"] is None


def test_settings_need_a_problem_and_are_validated(ws, project, loaded):
    other = ws.create_project("Empty")
    with pytest.raises(TargetError, match="Choose a target on the Data page before setting up training."):
        projects.save_settings(ws, other["id"], {})
    assert projects.project_settings(ws, other["id"]) == {}
    with pytest.raises(RecipeError, match="'cv_folds'"):
        projects.save_settings(ws, loaded, {"cv_folds": 1})
    saved = projects.save_settings(ws, loaded, {"models": ["linear"]})
    assert saved == {"models": ["baseline", "linear"], "cv_folds": 5, "seed": 42, "time_budget": None,
                     "search": "none", "n_trials": 20, "pruner": "median", "patience": None, "automl": False,
                     "ensemble": False, "losses": {}}
    assert projects.project_settings(ws, loaded) == saved


# -- reading options, appending rows and dataset versions ------------------------------------------
def test_import_with_reading_options_and_a_sheet(ws, project):
    data = b"name;price\nA;1,5\nB;2,25\n"
    dataset = projects.import_file(ws, project["id"], data, "p.csv", options=CsvOptions(";", "utf-8", ",", True))
    assert dataset["notes"] == []
    assert projects.project_frame(ws, project["id"])["price"].tolist() == [1.5, 2.25]


def test_import_names_the_excel_sheet(ws, project):
    book = openpyxl.Workbook()
    book.active.append(("a",))
    book.create_sheet("second").append(("b",))
    for sheet in book.worksheets:
        sheet.append((1,))
    buffer = io.BytesIO()
    book.save(buffer)
    dataset = projects.import_file(ws, project["id"], buffer.getvalue(), "book.xlsx", sheet="second")
    assert dataset["name"] == "book.xlsx [second]"
    assert list(projects.project_frame(ws, project["id"]).columns) == ["b"]


def _rows(data: bytes, start: int, n: int) -> bytes:
    """Rows ``start`` .. ``start + n`` of tiny_churn.csv with its header (ids stay unique)."""
    lines = data.decode().splitlines()
    return "\n".join([lines[0], *lines[1 + start:1 + start + n]]).encode() + b"\n"


def test_append_rows_adds_a_new_active_version_and_keeps_choices(ws, project, churn_csv):
    pid = project["id"]
    first = projects.import_file(ws, pid, _rows(churn_csv, 0, 20), "jan.csv")
    projects.set_problem(ws, pid, Problem("churned", "classification", "accuracy"))
    projects.set_column_kinds(ws, pid, {"visits": "categorical"})
    added = projects.append_file(ws, pid, _rows(churn_csv, 20, 10), "feb.csv")
    assert (added["name"], added["source"], added["n_rows"]) == ("jan.csv + feb.csv", "append:feb.csv", 30)
    assert added["notes"] == ["10 rows from 'feb.csv' were added to 'jan.csv' (20 -> 30 rows)."]
    stored = ws.get_project(pid)
    assert (stored["dataset_id"], stored["column_kinds"]) == (added["id"], {"visits": "categorical"})
    assert projects.project_problem(ws, pid).target == "churned"
    frame = projects.project_frame(ws, pid)
    assert (frame["customer_id"].iloc[0], frame["customer_id"].iloc[-1]) == ("C1000", "C1029")
    assert frame.shape == (30, 6)
    assert ws.load_dataset(first["id"]).shape == (20, 6)
    assert [(d["id"], d["active"]) for d in projects.project_datasets(ws, pid)] == [
        (added["id"], True), (first["id"], False)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"a,b\n1,2\n", "missing columns ['customer_id', 'age', 'plan', 'visits', 'signup', 'churned']",
                     id="other-columns"),
        pytest.param(b"customer_id,age,plan,visits,signup,churned\n99,old,basic,3,2024-01-01,yes\n",
                     "'age' expects numbers but 1 of 1 new values are not (e.g. 'old')", id="wrong-kind"),
        pytest.param(b"", "is empty", id="empty"),
    ],
)
def test_append_refuses_rows_that_do_not_fit_and_stores_nothing(ws, loaded, data, message):
    before = ws.get_project(loaded)["dataset_id"]
    with pytest.raises(DataError, match=re.escape(message)):
        projects.append_file(ws, loaded, data, "new.csv")
    assert ws.get_project(loaded)["dataset_id"] == before
    assert len(ws.list_datasets(loaded)) == 1


def test_append_needs_data_first(ws, project):
    with pytest.raises(ColumnError, match="no data to add rows to; upload a file first"):
        projects.append_file(ws, project["id"], b"a\n1\n", "new.csv")


def test_switching_versions_keeps_what_still_applies(ws, loaded):
    first = projects.active_dataset(ws, loaded)
    projects.set_column_kinds(ws, loaded, {"visits": "categorical"})
    projects.import_file(ws, loaded, b"visits,other\n1,2\n3,4\n", "other.csv")
    projects.set_column_kinds(ws, loaded, {"visits": "categorical"})
    assert projects.project_problem(ws, loaded) is None
    second = projects.active_dataset(ws, loaded)
    projects.set_problem(ws, loaded, Problem("other", "regression", "rmse"))
    dataset = projects.set_active_dataset(ws, loaded, first["id"])
    stored = ws.get_project(loaded)
    assert (dataset["id"], stored["dataset_id"]) == (first["id"], first["id"])
    assert (stored["column_kinds"], stored["problem"]) == ({"visits": "categorical"}, None)
    projects.set_active_dataset(ws, loaded, second["id"])
    assert projects.active_dataset(ws, loaded)["id"] == second["id"]


def test_switching_to_another_projects_dataset_is_refused(ws, loaded):
    other = ws.create_project("Other")
    theirs = projects.import_file(ws, other["id"], b"a\n1\n", "a.csv")
    with pytest.raises(ColumnError, match=f"Dataset {theirs['id']} belongs to another project"):
        projects.set_active_dataset(ws, loaded, theirs["id"])
    with pytest.raises(NotFoundError):
        projects.set_active_dataset(ws, loaded, 999)


def test_append_reads_with_options_and_can_go_onto_an_earlier_version(ws, project):
    pid = project["id"]
    first = projects.import_file(ws, pid, b"item,price\npen,1.5\ncup,4\n", "shop.csv")
    april = b"item;price\nink;2,5\n"
    with pytest.raises(DataError, match=re.escape("1 of 1 new values are not (e.g. '2,5')")):
        projects.append_file(ws, pid, april, "april.csv", options=CsvOptions(";", "utf-8", ".", True))
    added = projects.append_file(ws, pid, april, "april.csv")  # guessed: semicolons, decimal comma
    again = projects.append_file(ws, pid, april, "april.csv", options=CsvOptions(";", "utf-8", ",", True),
                                 onto=first["id"])
    assert (added["n_rows"], again["n_rows"]) == (3, 3)  # onto the first version, not on top of the addition
    assert ws.get_project(pid)["dataset_id"] == again["id"]
    assert projects.project_frame(ws, pid)["price"].tolist() == [1.5, 4.0, 2.5]
    other = ws.create_project("Other")
    with pytest.raises(ColumnError, match="belongs to another project"):
        projects.append_file(ws, other["id"], b"item,price\nink,2\n", "april.csv", onto=first["id"])


# -- lifecycle ------------------------------------------------------------------------------
def test_create_rename_and_list_projects(ws):
    churn = projects.create_project(ws, "Churn")
    projects.create_project(ws, "Prices")
    assert projects.rename_project(ws, churn["id"], "Churn 2026")["name"] == "Churn 2026"
    assert [p["name"] for p in projects.list_projects(ws)] == ["Churn 2026", "Prices"]  # last changed first
    with pytest.raises(USER_ERRORS, match="Prices"):
        projects.rename_project(ws, churn["id"], "Prices")


def test_deleting_a_project_removes_its_records_and_files(ws, loaded):
    folder = ws.project_dir(loaded)
    assert folder.exists()
    projects.delete_project(ws, loaded)
    assert projects.list_projects(ws) == [] and not folder.exists()
    with pytest.raises(NotFoundError):
        projects.open_project(ws, loaded)
    with pytest.raises(NotFoundError):
        projects.delete_project(ws, loaded)


@pytest.mark.slow
def test_deleting_a_project_stops_its_server_and_job_first(ws, trained, wait_for):
    from usecases import servers
    from usecases.jobs import is_worker_alive
    from usecases.training import start_training

    pid = trained["project_id"]
    model = next(m for m in ws.list_models(pid) if m["family"] == "linear")
    server = servers.start_server(ws, pid, model["id"])
    job = start_training(ws, pid, {"models": ["random_forest"], "cv_folds": 3, "search": "random",
                                   "n_trials": 10_000})  # runs for minutes unless stopped
    job = wait_for(ws, job["id"], done=lambda j: j["status"] != "queued")
    assert job["status"] == "running" and is_worker_alive(job["pid"], job["id"]) and servers.server_alive(server)

    projects.delete_project(ws, pid)

    assert not is_worker_alive(job["pid"], job["id"])
    assert not servers.server_alive(server)
    with pytest.raises(OSError):  # nothing answers on the server's port any more
        urllib.request.urlopen(f"{servers.server_url(server)}/health", timeout=2)
    assert projects.list_projects(ws) == [] and ws.list_jobs() == [] and not ws.project_dir(pid).exists()
