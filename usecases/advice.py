"""Advice on a project's preparation: a recipe proposed from the data, the split advisor, the leakage audit."""

from __future__ import annotations

from engine.prepare.advice import propose_recipe
from engine.prepare.leakage import AuditResult, audit_training_rows
from engine.prepare.split_advisor import SplitAdvice, advise_split
from storage import Workspace
from usecases.projects import project_frame, project_problem, project_recipe, project_schema, save_recipe

__all__ = ["apply_audit", "apply_split", "ensure_recipe", "leakage_audit", "mark_after_outcome", "propose",
           "set_leak_kept", "split_advice"]


def propose(ws: Workspace, project_id: int) -> list[str]:
    """Replace the recipe's steps by those proposed from the data (the split's seed is kept); say why."""
    problem = project_problem(ws, project_id)
    frame = project_frame(ws, project_id)
    recipe, reasons = propose_recipe(frame, project_schema(ws, project_id), problem.target, problem.task)
    current = project_recipe(ws, project_id)
    recipe["split"]["seed"] = current["split"]["seed"]
    recipe["leakage"] = current["leakage"]
    recipe["drop_columns"] = current["drop_columns"]
    save_recipe(ws, project_id, recipe)
    return reasons


def ensure_recipe(ws: Workspace, project_id: int) -> list[str]:
    """Propose a recipe the first time a project with a target is prepared; later calls change nothing."""
    if ws.get_project(project_id)["recipe"] or project_problem(ws, project_id) is None:
        return []
    return propose(ws, project_id)


def split_advice(ws: Workspace, project_id: int) -> list[SplitAdvice]:
    """Repeated identifiers or dates that call for a grouped or time-ordered split."""
    problem = project_problem(ws, project_id)
    recipe = project_recipe(ws, project_id)
    return advise_split(project_frame(ws, project_id), project_schema(ws, project_id), problem.target,
                        problem.task, recipe["split"])


def apply_split(ws: Workspace, project_id: int, update: dict) -> dict:
    """Merge an advisor's proposal (e.g. ``{"strategy": "group", "group_column": "customer"}``) into the split."""
    recipe = project_recipe(ws, project_id)
    return save_recipe(ws, project_id, {**recipe, "split": {**recipe["split"], **update}})


def leakage_audit(ws: Workspace, project_id: int) -> AuditResult:
    """Score every candidate column alone against the target, on the training rows only."""
    return audit_training_rows(project_frame(ws, project_id), project_schema(ws, project_id),
                               project_problem(ws, project_id), project_recipe(ws, project_id))


def apply_audit(ws: Workspace, project_id: int, result: AuditResult) -> list[str]:
    """Exclude flagged columns the user has not chosen to keep; return the newly excluded ones.

    Stores nothing when the exclusions are already these: the Prepare page applies the audit on every draw.
    """
    recipe = project_recipe(ws, project_id)
    leakage = recipe["leakage"]
    flagged = [f.column for f in result.findings if f.column not in leakage["kept"]]
    new = [c for c in flagged if c not in leakage["excluded"]]
    if flagged != leakage["excluded"]:
        save_recipe(ws, project_id, {**recipe, "leakage": {**leakage, "excluded": flagged}})
    return new


def set_leak_kept(ws: Workspace, project_id: int, column: str, kept: bool) -> dict:
    """Keep a flagged column as a feature after all (or exclude it again)."""
    recipe = project_recipe(ws, project_id)
    leakage = dict(recipe["leakage"])
    leakage["kept"] = sorted(set(leakage["kept"]) | {column}) if kept else [c for c in leakage["kept"] if c != column]
    leakage["excluded"] = [c for c in leakage["excluded"] if c != column] if kept else sorted(
        set(leakage["excluded"]) | {column})
    return save_recipe(ws, project_id, {**recipe, "leakage": leakage})


def mark_after_outcome(ws: Workspace, project_id: int, columns: list[str]) -> dict:
    """Columns recorded after the outcome: never features, whatever their score."""
    recipe = project_recipe(ws, project_id)
    return save_recipe(ws, project_id, {**recipe, "leakage": {**recipe["leakage"], "after_outcome": list(columns)}})
