"""Evaluation use cases: the leaderboard, the champion and the one-time final test report."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import METRICS, Problem, evaluate, prepare_target, split_rows, validate_recipe
from engine.errors import ModelError
from storage import Workspace, now

__all__ = ["final_test_report", "leaderboard", "set_champion"]


def leaderboard(ws: Workspace, project_id: int) -> pd.DataFrame:
    """One row per trained model, best validation score first (by the project's metric)."""
    project = ws.get_project(project_id)
    runs = {r["id"]: r for r in ws.list_runs(project_id)}
    rows = []
    for model in ws.list_models(project_id):
        run = runs.get(model["run_id"], {})
        metric = (run.get("problem") or {}).get("metric") or (project["problem"] or {}).get("metric")
        scores = model["cv_scores"] or []
        rows.append({
            "model_id": model["id"], "run_id": model["run_id"], "model": model["family"],
            "status": model["status"], "metric": metric,
            "validation": (model["valid_metrics"] or {}).get(metric, np.nan),
            "cv_mean": float(np.mean(scores)) if scores else np.nan,
            "cv_std": float(np.std(scores)) if scores else np.nan,
            "test": (model["test_metrics"] or {}).get(metric, np.nan),
            "fit_seconds": model["fit_seconds"], "champion": model["id"] == project["champion_model_id"],
            "error": model["error"] or "",
        })
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    metric = table["metric"].dropna().iloc[0] if table["metric"].notna().any() else None
    ascending = metric is not None and not METRICS[metric].greater_is_better
    table = table.sort_values(["validation", "model_id"], ascending=[ascending, True], na_position="last")
    return table.reset_index(drop=True)


def set_champion(ws: Workspace, project_id: int, model_id: int) -> dict:
    """Make ``model_id`` the project's champion (the model deployed and tested)."""
    model = ws.get_model(model_id)
    if model["project_id"] != project_id or model["status"] != "ok":
        raise ModelError(f"Model {model_id} is not a trained model of this project.")
    return ws.update_project(project_id, champion_model_id=model_id)


def final_test_report(ws: Workspace, model_id: int) -> dict:
    """Score a model on its run's test split, once; later calls return the stored result.

    The split is recomputed from the run's stored dataset, recipe and seed (same data, same
    recipe, same seed: same rows), so the test rows are never stored or seen before.
    """
    model = ws.get_model(model_id)
    if model["test_metrics"]:
        return model["test_metrics"]
    run = ws.get_run(model["run_id"])
    if not run["split"].get("test"):
        raise ModelError("This run kept no test split (test share 0); there is no final test to report.")
    frame = ws.load_dataset(run["dataset_id"])
    problem = Problem(**run["problem"])
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, problem.task, validate_recipe(run["recipe"])["split"], rows)
    pipeline, card = ws.load_model(model_id)
    features = [f["name"] for f in card["features"]]
    metrics, _ = evaluate(pipeline, rows.iloc[split.test][features], y.iloc[split.test], problem.task)
    metrics = {**metrics, "rows": int(len(split.test)), "scored_at": now()}
    ws.update_model(model_id, test_metrics=metrics)
    return metrics
