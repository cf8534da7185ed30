"""The model registry records: the m009 migration, stages and the champion history."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from storage import Workspace
from storage.db import migrations, open_db


def _models(ws, project_id: int, n: int) -> list[int]:
    return [ws.add_model(project_id, None, family="linear", status="ok")["id"] for _ in range(n)]


def test_migration_adds_stages_and_history_and_stages_an_existing_champion(tmp_path):
    db = Database(tmp_path / "workbench.db")
    migrations.apply(db, stop_before="m009_model_stages")  # a workspace from before the registry
    db["projects"].insert({"id": 1, "name": "Churn", "champion_model_id": 2})
    db["models"].insert_all([{"id": 1, "project_id": 1, "status": "ok"}, {"id": 2, "project_id": 1, "status": "ok"}])
    db.close()
    ws = Workspace(tmp_path)  # opening it applies m009
    with open_db(ws.db_path) as db:
        assert "stage" in db["models"].columns_dict and "champion_history" in db.table_names()
        assert "m009_model_stages" in [m.name for m in migrations.applied(db)]
    assert ws.model_stages(1) == {2: "champion"}


def test_champion_changes_archive_the_previous_one_and_are_recorded(ws):
    project = ws.create_project("Churn")
    pid = project["id"]
    a, b, c = _models(ws, pid, 3)
    first = ws.set_champion(pid, a, reason="first")
    assert (first["model_id"], first["previous_model_id"], first["reason"]) == (a, None, "first")
    ws.mark_challenger(pid, b)
    assert ws.model_stages(pid) == {a: "champion", b: "challenger"}
    ws.mark_challenger(pid, c)  # a newer challenger: the unpromoted one is archived
    assert ws.model_stages(pid) == {a: "champion", b: "archived", c: "challenger"}
    ws.set_champion(pid, c, reason="promote")
    assert ws.get_project(pid)["champion_model_id"] == c
    assert ws.model_stages(pid) == {a: "archived", b: "archived", c: "champion"}
    assert [(h["model_id"], h["previous_model_id"], h["reason"]) for h in ws.champion_history(pid)] == [
        (a, None, "first"), (c, a, "promote")]
    with pytest.raises(ValueError, match="reason"):
        ws.set_champion(pid, a, reason="because")


def test_deleting_a_project_deletes_its_history(ws):
    project = ws.create_project("Churn")
    (a,) = _models(ws, project["id"], 1)
    ws.set_champion(project["id"], a, reason="first")
    ws.delete_project(project["id"])
    assert ws.champion_history(project["id"]) == []
