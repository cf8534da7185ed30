"""Preparation use cases: step editing, preview, export / import, proposal, split advisor, leakage audit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine import Problem, RecipeError
from usecases import advice, preparation, projects


def _steps(ws, pid) -> list[str]:
    return [s["type"] for s in projects.project_recipe(ws, pid)["steps"]]


def test_steps_are_added_moved_toggled_replaced_and_removed(ws, loaded):
    assert _steps(ws, loaded) == ["date_parts", "impute", "impute", "scale", "encode", "tfidf"]
    preparation.add_step(ws, loaded, {"type": "drop_duplicates"}, position=0)
    preparation.move_step(ws, loaded, 0, 2)
    assert _steps(ws, loaded)[:3] == ["date_parts", "impute", "drop_duplicates"]
    preparation.toggle_step(ws, loaded, 2)
    assert projects.project_recipe(ws, loaded)["steps"][2]["enabled"] is False
    preparation.replace_step(ws, loaded, 4, {"type": "scale", "params": {"method": "robust"}})
    assert projects.project_recipe(ws, loaded)["steps"][4]["params"] == {"method": "robust"}
    preparation.remove_step(ws, loaded, 2)
    assert _steps(ws, loaded) == ["date_parts", "impute", "impute", "scale", "encode", "tfidf"]
    with pytest.raises(RecipeError, match="There is no step 9; the recipe has 6 steps."):
        preparation.remove_step(ws, loaded, 8)
    with pytest.raises(RecipeError, match="Unknown step type"):
        preparation.add_step(ws, loaded, {"type": "magic"})
    assert len(_steps(ws, loaded)) == 6  # a refused edit saves nothing


def test_preview_shows_before_after_stages_and_row_counts(ws, loaded):
    preparation.add_step(ws, loaded, {"type": "drop_duplicates"}, position=0)
    preparation.add_step(ws, loaded, {"type": "derive", "params": {"op": "divide", "left": "visits", "right": "age"}},
                         position=3)
    preview = preparation.preview(ws, loaded)
    assert list(preview.before.columns) == ["age", "plan", "visits", "signup"]
    assert preview.shape_before == (22, 4)
    assert "visits_div_age" in preview.transformed.columns
    assert preview.stages["step"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert preview.stages.loc[preview.stages["what"] == "Date parts", "added"].item().startswith("signup_year")
    assert preview.row_log == ["Remove duplicate rows: removed 0 of 22 training rows (22 left)."]
    assert np.isfinite(preview.transformed.to_numpy(float)).all()


def test_recipe_exports_and_imports_into_another_project(ws, loaded, churn_csv):
    preparation.add_step(ws, loaded, {"type": "clip_outliers", "columns": {"names": ["visits", "income"]}})
    exported = preparation.export_recipe(ws, loaded)
    other = ws.create_project("Other")["id"]
    projects.import_file(ws, other, churn_csv, "tiny_churn.csv")
    notes = preparation.import_recipe(ws, other, exported)
    assert projects.project_recipe(ws, other) == json.loads(exported)
    assert notes == ["The recipe names columns this data does not have: ['income']."]
    with pytest.raises(RecipeError, match="not a recipe exported as JSON"):
        preparation.import_recipe(ws, other, b"{not json")


def test_a_recipe_is_proposed_once_from_the_data(ws, project):
    rows = [f"{i},{'' if i % 4 == 0 else i * 1.5},{'ab'[i % 2]},{'yes' if i % 7 == 0 else 'no'}" for i in range(60)]
    projects.import_file(ws, project["id"], ("n,gappy,c,y\n" + "\n".join(rows)).encode(), "p.csv")
    assert advice.ensure_recipe(ws, project["id"]) == []  # no target yet: nothing to propose
    projects.set_problem(ws, project["id"], Problem("y", "classification", "f1_macro"))
    reasons = advice.ensure_recipe(ws, project["id"])
    assert any("gappy 25%" in r for r in reasons) and any("rarest class 'yes'" in r for r in reasons)
    recipe = projects.project_recipe(ws, project["id"])
    assert recipe["balance"] == "class_weight"
    assert advice.ensure_recipe(ws, project["id"]) == []  # the saved recipe is never replaced silently


def test_split_advice_proposes_a_grouped_split_and_applies_it(ws, project):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"patient": np.repeat([f"P{i}" for i in range(40)], 3), "x": rng.normal(size=120),
                          "y": rng.choice(["a", "b"], 120)})
    projects.add_frame(ws, project["id"], frame, "visits", "test", [])
    projects.set_problem(ws, project["id"], Problem("y", "classification", "accuracy"))
    [tip] = [t for t in advice.split_advice(ws, project["id"]) if t.strategy == "group"]
    assert tip.column == "patient" and tip.update == {"strategy": "group", "group_column": "patient"}
    advice.apply_split(ws, project["id"], tip.update)
    assert projects.project_recipe(ws, project["id"])["split"]["strategy"] == "group"
    preview = preparation.preview(ws, project["id"])
    assert "Grouped by 'patient'" in preview.notes[0]
    assert not [t for t in advice.split_advice(ws, project["id"]) if t.strategy == "group"]


def test_leakage_audit_excludes_a_copy_of_the_target_unless_kept(ws, project):
    rng = np.random.default_rng(1)
    y = rng.choice(["stay", "leave"], 300)
    frame = pd.DataFrame({"x": rng.normal(size=300), "refund": np.where(y == "leave", 1.0, 0.0) * 50, "y": y})
    projects.add_frame(ws, project["id"], frame, "leaky", "test", [])
    projects.set_problem(ws, project["id"], Problem("y", "classification", "accuracy"))
    result = advice.leakage_audit(ws, project["id"])
    assert [f.column for f in result.findings] == ["refund"]
    assert advice.apply_audit(ws, project["id"], result) == ["refund"]
    recipe = projects.project_recipe(ws, project["id"])
    assert recipe["leakage"]["excluded"] == ["refund"]
    assert "refund" not in preparation.preview(ws, project["id"]).before.columns
    advice.set_leak_kept(ws, project["id"], "refund", True)
    assert advice.apply_audit(ws, project["id"], result) == []
    assert "refund" in preparation.preview(ws, project["id"]).before.columns
    advice.mark_after_outcome(ws, project["id"], ["refund"])
    assert "refund" not in preparation.preview(ws, project["id"]).before.columns


def test_a_step_the_analyst_adds_or_edits_is_pinned(ws, loaded):
    """An encode / scale step from the Prepare page is the analyst's choice: every model family gets it as written."""

    recipe = preparation.add_step(ws, loaded, {"type": "scale", "columns": {"kind": "numeric"},
                                                   "params": {"method": "robust"}})
    assert recipe["steps"][-1]["pinned"] is True
    recipe = preparation.replace_step(ws, loaded, len(recipe["steps"]) - 1,
                                      {"type": "scale", "columns": {"kind": "numeric"}, "params": {}})
    assert recipe["steps"][-1]["pinned"] is True


def test_a_recipe_written_before_pinning_existed_reads_as_pinned():
    """A version-2 recipe meant every step as written: read now, its default scale / encode steps stay pinned."""
    from engine.prepare.recipe import validate_recipe

    old = {"version": 2, "steps": [{"type": "scale", "columns": {"kind": "numeric"}, "params": {"method": "standard"}},
                                   {"type": "encode", "columns": {"kind": "categorical"}}]}
    assert [s["pinned"] for s in validate_recipe(old)["steps"]] == [True, True]
    assert [s.get("pinned") for s in validate_recipe({"version": 2})["steps"] if "pinned" in s] == [True, True]
    assert not any(s.get("pinned") for s in validate_recipe({})["steps"])  # today's default lets families choose
