"""The start page's use cases: where each project stands on the road, and a sample project ready to train.

The road is Data → Explore → Prepare → Train → Evaluate → Deploy → Monitor; a project's stage is the page to
continue on (Explore is optional, so no project stops there).
"""

from __future__ import annotations

from typing import NamedTuple

from engine import METRICS, model_label
from engine.data.samples import SAMPLES
from engine.errors import DataError
from storage import Workspace
from usecases import advice, projects

__all__ = ["ROAD", "SAMPLE", "ProjectSummary", "open_sample_project", "project_stage", "recent_projects"]

ROAD = ("Data", "Explore", "Prepare", "Train", "Evaluate", "Deploy", "Monitor")
SAMPLE = "breast_cancer"  # a real table (569 rows, 30 measurements) that trains in seconds


class ProjectSummary(NamedTuple):
    """One project as the start page lists it."""

    id: int
    name: str
    stage: str  # one of ROAD: the page to continue on
    updated_at: str
    n_models: int  # trained successfully
    champion: str | None  # e.g. "#3 Random forest"
    score: str | None  # the champion's score, e.g. "validation ROC-AUC 0.9912 · test 0.9870"


def project_stage(ws: Workspace, project: dict, trained: list[dict] | None = None) -> str:
    """The stage ``project`` has reached on the road: the page where its next step is (``trained``: its trained
    models, when the caller has read them already)."""
    if not project["dataset_id"] or not project["problem"]:
        return "Data"
    if not project["recipe"]:
        return "Prepare"
    if trained is None:
        trained = [m for m in ws.list_models(project["id"]) if m["status"] == "ok"]
    if not trained:
        return "Train"
    if not project["champion_model_id"]:
        return "Evaluate"
    return "Monitor" if ws.list_batches(project["id"]) else "Deploy"


def _summary(ws: Workspace, project: dict) -> ProjectSummary:
    trained = [m for m in ws.list_models(project["id"]) if m["status"] == "ok"]
    champion = next((m for m in trained if m["id"] == project["champion_model_id"]), None)
    label = score = None
    if champion is not None:
        label = f"#{champion['id']} {model_label(champion['family'])}"
        metric = (project["problem"] or {}).get("metric")
        value = (champion["valid_metrics"] or {}).get(metric)
        if value is not None:
            score = f"validation {METRICS[metric].label} {value:.4f}"
            if (test := (champion["test_metrics"] or {}).get(metric)) is not None:
                score += f" · test {test:.4f}"
    return ProjectSummary(project["id"], project["name"], project_stage(ws, project, trained), project["updated_at"],
                          len(trained), label, score)


def recent_projects(ws: Workspace, limit: int = 5) -> list[ProjectSummary]:
    """The ``limit`` most recently changed projects, with their stage and their champion's score."""
    return [_summary(ws, project) for project in projects.list_projects(ws)[:limit]]


def open_sample_project(ws: Workspace, sample: str = SAMPLE) -> dict:
    """The project of the bundled ``sample``: its table typed, its target, task and metric chosen, and a recipe
    proposed from the data, so training is one click away. Made on the first call, reopened on the next ones
    (it is named after the sample: "Breast cancer (sample)").
    """
    if sample not in SAMPLES:
        raise DataError(f"Unknown sample dataset '{sample}'; choose one of {list(SAMPLES)}.")
    name = SAMPLES[sample].label.split(" (")[0] + " (sample)"
    existing = next((p for p in projects.list_projects(ws) if p["name"] == name), None)
    if existing is not None:
        return existing
    project = projects.create_project(ws, name)
    projects.import_sample(ws, project["id"], sample)
    advice.ensure_recipe(ws, project["id"])
    return projects.open_project(ws, project["id"])
