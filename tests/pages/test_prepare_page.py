"""Prepare page: the step list (add, reorder, switch off, remove), the split, the advisors, the preview."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import Problem
from tests.pages.helpers import assert_clean, open_page
from usecases import projects


def _types(ws, pid) -> list[str]:
    return [s["type"] for s in projects.project_recipe(ws, pid)["steps"]]


def _click(at, label: str, nth: int = 0):
    [button for button in at.button if button.label == label][nth].click()
    return at.run()


def test_prepare_proposes_steps_and_previews_them(ws, churn_project):
    at = open_page("prepare", churn_project["id"])
    assert_clean(at)
    # Steps that find nothing in this data (no free text) are not proposed.
    assert _types(ws, churn_project["id"]) == ["date_parts", "impute", "impute", "scale", "encode"]
    assert at.markdown[0].value.startswith("**1. Date parts**")
    assert not at.warning
    split_table = next(df.value for df in at.dataframe if "split" in df.value.columns)
    assert list(split_table["rows"]) == [1050, 225, 225]
    assert any("raw columns →" in m.value for m in at.markdown)


def test_steps_are_added_moved_switched_off_and_removed(ws, churn_project):
    pid = churn_project["id"]
    at = open_page("prepare", pid)
    at.selectbox(key="new_step_type").select("drop_duplicates").run()
    at = _click(at, "Add step")
    assert_clean(at)
    assert _types(ws, pid)[-1] == "drop_duplicates"
    at = _click(at, "Up", nth=5)
    assert _types(ws, pid)[4:] == ["drop_duplicates", "encode"]
    at.toggle[4].set_value(False).run()
    assert projects.project_recipe(ws, pid)["steps"][4]["enabled"] is False
    at = _click(at, "Remove", nth=4)
    assert_clean(at)
    assert _types(ws, pid) == ["date_parts", "impute", "impute", "scale", "encode"]


def test_split_form_saves_and_refuses_shares_not_adding_up(ws, churn_project):
    pid = churn_project["id"]
    at = open_page("prepare", pid)
    inputs = {n.label: n for n in at.number_input}
    inputs["Train %"].set_value(60)
    inputs["Validation %"].set_value(20)
    inputs["Test %"].set_value(20)
    at = _click(at, "Save split")
    assert_clean(at)
    split = projects.project_recipe(ws, pid)["split"]
    assert (split["train"], split["valid"], split["test"]) == (0.6, 0.2, 0.2)
    inputs = {n.label: n for n in at.number_input}
    inputs["Test %"].set_value(30)
    at = _click(at, "Save split")
    assert any("must add up to 1" in e.value for e in at.error)
    assert projects.project_recipe(ws, pid)["split"]["test"] == 0.2


def test_split_advisor_applies_a_time_split_in_one_click(ws, churn_project):
    pid = churn_project["id"]
    at = open_page("prepare", pid)
    at = _click(at, "Use a time split by 'signup_date'")
    assert_clean(at)
    split = projects.project_recipe(ws, pid)["split"]
    assert (split["strategy"], split["time_column"]) == ("time", "signup_date")
    assert not [b for b in at.button if b.label.startswith("Use a time split")]
    assert any("already time-ordered by 'signup_date'" in c.value for c in at.caption)


def test_leakage_audit_excludes_a_leak_and_the_user_can_keep_it(ws):
    rng = np.random.default_rng(0)
    y = rng.choice(["stay", "leave"], 400)
    frame = pd.DataFrame({"x": rng.normal(size=400), "refund": np.where(y == "leave", 20.0, 0.0), "y": y})
    pid = ws.create_project("Leaky")["id"]
    projects.add_frame(ws, pid, frame, "leaky", "test", [])
    projects.set_problem(ws, pid, Problem("y", "classification", "accuracy"))
    at = open_page("prepare", pid)
    assert_clean(at)
    assert projects.project_recipe(ws, pid)["leakage"]["excluded"] == ["refund"]
    # Issue 17 item 11: with no repeated IDs or dates, the split advisor says it found none instead of nothing.
    assert any("**Split advisor**" in c.value and "found none" in c.value for c in at.caption)
    assert any("**refund**" in m.value and "Left out" in m.value for m in at.markdown)
    at = _click(at, "Keep it anyway")
    assert_clean(at)
    leakage = projects.project_recipe(ws, pid)["leakage"]
    assert (leakage["kept"], leakage["excluded"]) == (["refund"], [])


def test_drawing_the_page_again_writes_nothing(ws, churn_project):
    """The first visit proposes a recipe and applies the leakage audit; after that, a rerun only reads (each
    write would move the project's last change: the sidebar's order, the share report's version)."""
    pid = churn_project["id"]
    at = open_page("prepare", pid)
    changed = projects.open_project(ws, pid)["updated_at"]
    at.run()
    assert_clean(at)
    assert projects.open_project(ws, pid)["updated_at"] == changed


def test_step_forms_take_their_words_from_the_step_catalogue(ws, churn_project):
    at = open_page("prepare", churn_project["id"])
    fill = next(s for s in at.selectbox if s.label == "Fill with")
    assert fill.value == "median"
    assert "Most frequent value" in fill.options
    assert "Average of the 5 most similar rows (KNN)" in fill.options
    assert "most_frequent" not in fill.options
    at.selectbox(key="new_step_type").select("drop_sparse").run()
    applies = [r for r in at.radio if r.label == "Apply to"][-1]  # the new step's form comes last
    assert applies.options[:2] == ["all numeric columns", "all categorical columns"]


def test_the_proposal_text_goes_once_the_step_it_explains_is_edited(ws):
    """Issue 17 item 4: the reasons said "filled with the median" after the step had become "mean"."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    x[:6] = np.nan
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=60), "y": rng.choice(["a", "b"], 60)})
    pid = ws.create_project("Gaps")["id"]
    projects.add_frame(ws, pid, frame, "gaps", "test", [])
    projects.set_problem(ws, pid, Problem("y", "classification", "accuracy"))
    at = open_page("prepare", pid)
    assert any("filled with the median" in m.value for m in at.markdown)
    next(s for s in at.selectbox if s.label == "Fill with").set_value("mean")
    at = _click(at, "Save step")
    assert_clean(at)
    assert projects.project_recipe(ws, pid)["steps"][0]["params"]["strategy"] == "mean"
    assert not any("median" in m.value for m in at.markdown)
    assert any("with the mean of the training rows" in m.value for m in at.markdown)
