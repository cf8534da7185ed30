"""What changed between two training runs: data, problem, split, recipe, settings, models, versions, time.

``diff_runs`` takes plain records (a run as stored, its models with their card's ``params`` and ``tuning``)
and returns rows ``{area, item, a, b, changed}`` whose values are short strings fit for a table.

>>> a = {"settings": {"cv_folds": 5}}
>>> b = {"settings": {"cv_folds": 3}}
>>> [(r["area"], r["item"], r["a"], r["b"]) for r in diff_runs(a, b, [], [])]
[('Settings', 'CV folds', '5', '3')]
"""

from __future__ import annotations

import json
import math

from engine.evaluate.metrics import METRICS
from engine.prepare.recipe import validate_recipe
from engine.prepare.steps import STEP_TYPES, step_columns_text
from engine.train.catalog import model_label
from engine.train.training import DEFAULT_SETTINGS

__all__ = ["AREAS", "SETUP_AREAS", "diff_runs", "short_text"]

AREAS = ("Data", "Problem", "Split", "Recipe", "Settings", "Models", "Versions", "Time")
#: The areas that decide what a run trains on and how; equal in all of them means "the same setup".
SETUP_AREAS = ("Data", "Problem", "Split", "Recipe", "Settings")
_NONE = "—"
_ABSENT = "not in this run"


def short_text(value) -> str:
    """A value as a short string: '—' for missing, yes/no, 4 significant digits, comma-joined lists."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(short_text(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={short_text(v)}" for k, v in value.items()) if value else "none"
    return str(value)


def diff_runs(run_a: dict, run_b: dict, models_a: list[dict], models_b: list[dict],
              include_unchanged: bool = False) -> list[dict]:
    """Rows ``{area, item, a, b, changed}`` comparing run A with run B, in ``AREAS`` order.

    A run is a stored run record (``dataset_id``, ``dataset_sha256``, ``problem``, ``recipe``, ``settings``,
    ``split``, ``versions``, ``seconds``; optionally ``dataset_name`` and ``dataset_rows``). A model is a stored
    model record (``family``, ``status``, ``valid_metrics``, ``cv_scores``, ``fit_seconds``) with its card's
    ``params`` and ``tuning`` added. Only changed items unless ``include_unchanged``.
    """
    pairs = (_data(run_a, run_b) + _problem(run_a, run_b) + _split(run_a, run_b) + _recipe(run_a, run_b)
             + _settings(run_a, run_b) + _models(run_a, models_a, models_b) + _versions(run_a, run_b)
             + [("Time", "training time (s)", *(_fixed(r.get("seconds"), 1) for r in (run_a, run_b)))])
    rows = []
    for area, item, a, b in pairs:
        a_text, b_text = short_text(a), short_text(b)
        changed = a_text != b_text
        if changed or include_unchanged:
            rows.append({"area": area, "item": item, "a": a_text, "b": b_text, "changed": changed})
    return rows


def _data(a: dict, b: dict) -> list[tuple]:
    sha = [(r.get("dataset_sha256") or "")[:12] or None for r in (a, b)]
    return [("Data", "dataset", _dataset(a), _dataset(b)), ("Data", "sha256", *sha),
            ("Data", "rows", a.get("dataset_rows"), b.get("dataset_rows"))]


def _dataset(run: dict) -> str | None:
    if run.get("dataset_id") is None:
        return None
    return f"#{run['dataset_id']}" + (f" {run['dataset_name']}" if run.get("dataset_name") else "")


def _problem(a: dict, b: dict) -> list[tuple]:
    pa, pb = a.get("problem") or {}, b.get("problem") or {}
    metric = [METRICS[p["metric"]].label if p.get("metric") in METRICS else p.get("metric") for p in (pa, pb)]
    return [("Problem", "target", pa.get("target"), pb.get("target")),
            ("Problem", "task", pa.get("task"), pb.get("task")), ("Problem", "metric", *metric)]


def _recipe_of(run: dict) -> dict:
    return validate_recipe(run.get("recipe"))


def _split(a: dict, b: dict) -> list[tuple]:
    sa, sb = _recipe_of(a)["split"], _recipe_of(b)["split"]
    shares = [f"{s['train']:.0%} / {s['valid']:.0%} / {s['test']:.0%}" for s in (sa, sb)]
    sizes = [" / ".join(str(r["split"].get(k, "?")) for k in ("train", "valid", "test")) if r.get("split") else None
             for r in (a, b)]
    return [("Split", "strategy", sa["strategy"], sb["strategy"]),
            ("Split", "shares (train / valid / test)", *shares), ("Split", "seed", sa["seed"], sb["seed"]),
            ("Split", "time column", sa["time_column"], sb["time_column"]),
            ("Split", "group column", sa["group_column"], sb["group_column"]),
            ("Split", "rows (train / valid / test)", *sizes)]


def _step_name(step: dict) -> str:
    label = STEP_TYPES[step["type"]].label
    return f"{label} ({step_columns_text(step)})" if step["columns"] else label


def _match_steps(steps_a: list[dict], steps_b: list[dict]) -> list[tuple[int | None, int | None]]:
    """Pairs of step positions (A, B): same type and columns first, then same type in order; None = absent."""
    pairs: list[tuple[int | None, int | None]] = []
    free_a, free_b = list(range(len(steps_a))), list(range(len(steps_b)))
    for key in (lambda s: (s["type"], json.dumps(s["columns"], sort_keys=True)), lambda s: s["type"]):
        for i in list(free_a):
            j = next((j for j in free_b if key(steps_b[j]) == key(steps_a[i])), None)
            if j is not None:
                pairs.append((i, j))
                free_a.remove(i)
                free_b.remove(j)
    return pairs + [(i, None) for i in free_a] + [(None, j) for j in free_b]


def _recipe(a: dict, b: dict) -> list[tuple]:
    ra, rb = _recipe_of(a), _recipe_of(b)
    rows = []
    pairs = _match_steps(ra["steps"], rb["steps"])
    for i, j in sorted(pairs, key=lambda p: (p[0] if p[0] is not None else p[1], p[0] is None)):
        sa = ra["steps"][i] if i is not None else None
        sb = rb["steps"][j] if j is not None else None
        if sa is None or sb is None:
            step = sa or sb
            text = ("on" if step["enabled"] else "off") + (f": {short_text(step['params'])}" if step["params"] else "")
            rows.append(("Recipe", f"step {_step_name(step)}", text if sa else _ABSENT, text if sb else _ABSENT))
            continue
        name = _step_name(sa)
        rows.append(("Recipe", f"step {name}: columns", *(step_columns_text(s) if s["columns"] else None
                                                           for s in (sa, sb))))
        rows.append(("Recipe", f"step {name}: on/off", "on" if sa["enabled"] else "off",
                     "on" if sb["enabled"] else "off"))
        for key in dict.fromkeys([*sa["params"], *sb["params"]]):
            rows.append(("Recipe", f"step {name}: {key}", sa["params"].get(key), sb["params"].get(key)))
    order = [[s["type"] for s in r["steps"]] for r in (ra, rb)]
    matched_a = [ra["steps"][i]["type"] for i, j in sorted(p for p in pairs if None not in p)]
    matched_b = [rb["steps"][j]["type"] for i, j in sorted((p for p in pairs if None not in p), key=lambda p: p[1])]
    if matched_a != matched_b:
        rows.append(("Recipe", "step order", " → ".join(order[0]), " → ".join(order[1])))
    rows.append(("Recipe", "dropped columns", sorted(ra["drop_columns"]), sorted(rb["drop_columns"])))
    for key, text in (("excluded", "left out by the leakage audit"), ("kept", "leak suspects kept"),
                      ("after_outcome", "recorded after the outcome")):
        rows.append(("Recipe", text, sorted(ra["leakage"][key]), sorted(rb["leakage"][key])))
    rows.append(("Recipe", "class balance", ra["balance"], rb["balance"]))
    return rows


_SETTINGS = (("models", "models"), ("cv_folds", "CV folds"), ("seed", "seed"), ("search", "search"),
             ("n_trials", "trials"), ("pruner", "pruner"), ("patience", "patience"),
             ("time_budget", "time budget (s)"), ("automl", "AutoML"), ("ensemble", "ensemble"), ("losses", "losses"))


def _settings(a: dict, b: dict) -> list[tuple]:
    sa, sb = ({**DEFAULT_SETTINGS, **(r.get("settings") or {})} for r in (a, b))
    rows = []
    for key, text in _SETTINGS:
        va, vb = sa.get(key), sb.get(key)
        if key == "models":
            va, vb = (sorted(v) if v else "default for the task" for v in (va, vb))
        rows.append(("Settings", text, va, vb))
    known = {key for key, _ in _SETTINGS}
    rows += [("Settings", key, sa.get(key), sb.get(key)) for key in sorted((set(sa) | set(sb)) - known)]
    return rows


def _models(run_a: dict, models_a: list[dict], models_b: list[dict]) -> list[tuple]:
    metric = (run_a.get("problem") or {}).get("metric")
    label = METRICS[metric].label if metric in METRICS else metric
    by_a, by_b = ({m["family"]: m for m in ms} for ms in (models_a, models_b))
    rows = []
    for family in dict.fromkeys([*by_a, *by_b]):
        name = model_label(family)
        ma, mb = by_a.get(family), by_b.get(family)
        if ma is None or mb is None:
            rows.append(("Models", name, _presence(ma, metric), _presence(mb, metric)))
            continue
        rows.append(("Models", f"{name}: status", ma["status"], mb["status"]))
        params_a, params_b = ma.get("params") or {}, mb.get("params") or {}
        for key in dict.fromkeys([*params_a, *params_b]):
            rows.append(("Models", f"{name}: {key}", params_a.get(key), params_b.get(key)))
        rows.append(("Models", f"{name}: tuning", _tuning(ma.get("tuning")), _tuning(mb.get("tuning"))))
        rows.append(("Models", f"{name}: validation {label}", _metric(ma, metric), _metric(mb, metric)))
    return rows


def _fixed(value, digits: int = 4) -> str | None:
    return None if value is None else f"{float(value):.{digits}f}"


def _metric(model: dict, metric: str | None) -> str | None:
    return _fixed((model.get("valid_metrics") or {}).get(metric))


def _presence(model: dict | None, metric: str | None) -> str:
    if model is None:
        return _ABSENT
    value = _metric(model, metric)
    return model["status"] + ("" if value is None else f" ({value})")


def _tuning(tuning: dict | None) -> str | None:
    if not tuning:
        return None
    if "members" in tuning:
        return "ensemble of " + ", ".join(tuning["members"])
    return f"trial {tuning.get('trial')}" if "trial" in tuning else short_text(tuning)


def _versions(a: dict, b: dict) -> list[tuple]:
    va, vb = a.get("versions") or {}, b.get("versions") or {}
    return [("Versions", name, va.get(name), vb.get(name)) for name in sorted(set(va) | set(vb))]
