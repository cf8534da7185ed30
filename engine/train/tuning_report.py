"""What a tuning study shows an analyst: its trials as a table, the best-so-far curve of all its models, each
family's best cross-validated score, the start configurations that ran, why the winner won, and Optuna's plots.

Each ``..._table`` / ``search_progress`` returns plain data; ``best_so_far_figure`` draws it; the Train page only
formats and shows.

>>> import optuna
>>> study = optuna.create_study(direction="maximize")
>>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
>>> trials_table([study])[["trial", "state"]].shape
(3, 2)
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go
from optuna import visualization
from plotly.colors import qualitative

from engine.train.catalog import MODELS, model_label

__all__ = ["BEST_SO_FAR", "SearchProgress", "best_so_far_figure", "family_colour", "family_table",
           "portfolio_table", "search_progress", "study_plots", "trials_table", "unfinished_families",
           "winner_verdict"]

BEST_SO_FAR = "Best so far, any model"
_COMPLETE = optuna.trial.TrialState.COMPLETE
_PALETTE = qualitative.Plotly


def trials_table(studies: list[optuna.Study]) -> pd.DataFrame:
    """One row per trial of every study: number, family, state, value, parameters, seconds, worker."""
    rows = []
    for study in studies:
        for t in study.get_trials(deepcopy=False):
            seconds = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete else None
            params = {k.split("__", 1)[-1]: v for k, v in t.params.items() if k != "family"}
            rows.append({"study": study.study_name, "trial": t.number, "family": t.user_attrs.get("family", ""),
                         "state": t.state.name.lower(), "value": t.value, "seconds": seconds,
                         "params": ", ".join(f"{k}={_short(v)}" for k, v in params.items()),
                         "worker": t.user_attrs.get("worker", "")})
    return pd.DataFrame(rows, columns=["study", "trial", "family", "state", "value", "seconds", "params", "worker"])


class SearchProgress(NamedTuple):
    """The finished trials of a run's studies in the order they finished, and the run's best so far.

    ``trials``: seconds (since the first trial started), family, value, study, trial. ``best``: after each finished
    trial, the best value of any model so far and the family that holds it; it never gets worse, whichever
    family's study is running (the per-family studies of a non-AutoML search run one after another).
    """

    trials: pd.DataFrame
    best: pd.DataFrame


def search_progress(studies: list[optuna.Study], maximize: bool) -> SearchProgress:
    """The finished trials of ``studies`` on one clock, with the overall best so far (see ``SearchProgress``)."""
    done = [(study, t) for study in studies for t in study.get_trials(deepcopy=False, states=(_COMPLETE,))]
    starts = [t.datetime_start for study in studies for t in study.get_trials(deepcopy=False) if t.datetime_start]
    done.sort(key=lambda pair: pair[1].datetime_complete)
    trials = pd.DataFrame([{"seconds": (t.datetime_complete - min(starts)).total_seconds(),
                            "family": t.user_attrs.get("family", ""), "value": t.value, "study": s.study_name,
                            "trial": t.number} for s, t in done],
                          columns=["seconds", "family", "value", "study", "trial"])
    best, holder, rows = None, "", []
    for seconds, family, value in trials[["seconds", "family", "value"]].itertuples(index=False):
        if best is None or (value > best if maximize else value < best):
            best, holder = value, family
        rows.append({"seconds": seconds, "value": best, "family": holder})
    return SearchProgress(trials, pd.DataFrame(rows, columns=["seconds", "value", "family"]))


def best_so_far_figure(studies: list[optuna.Study], metric_label: str, maximize: bool) -> go.Figure:
    """Every finished trial as a dot coloured by its family, and the best of all models so far as one line."""
    info = search_progress(studies, maximize)
    figure = go.Figure()
    for family, rows in info.trials.groupby("family", sort=False):
        figure.add_scatter(x=rows["seconds"], y=rows["value"], mode="markers", name=_label(family),
                           marker={"color": family_colour(family), "size": 8}, opacity=0.75,
                           customdata=rows["trial"], hovertemplate="trial %{customdata}: %{y:.4f}<extra></extra>")
    title = "Best so far"
    if len(info.best):
        last = info.best.iloc[-1]
        title = f"Best {metric_label} so far: {last['value']:.4f} ({_label(last['family'])})"
        figure.add_scatter(x=info.best["seconds"], y=info.best["value"], mode="lines", name=BEST_SO_FAR,
                           line={"color": "#222222", "width": 2.5, "shape": "hv"},
                           customdata=[_label(f) for f in info.best["family"]],
                           hovertemplate="best so far %{y:.4f} (%{customdata})<extra></extra>")
    figure.update_layout(title=title, xaxis_title="seconds since the search started", yaxis_title=metric_label,
                         height=380, margin={"t": 50, "b": 40}, legend_title_text="Model")
    figure.update_xaxes(rangemode="tozero")  # the time before the first finished trial is part of the budget
    return figure


def family_colour(family: str) -> str:
    """The colour a model family has in every chart of the Train page (by its place in the catalog)."""
    names = list(MODELS)
    index = names.index(family) if family in names else len(names)
    return _PALETTE[index % len(_PALETTE)]


def family_table(studies: list[optuna.Study], maximize: bool) -> pd.DataFrame:
    """One row per chosen family, best first: its best trial's cross-validated score (the mean over the folds),
    the spread of that trial's fold scores (standard deviation), how many trials finished of how many ran,
    and, for a family with no finished trial, why.

    Columns: family, model (label), score, spread, folds, finished, trials, seconds (its trials' time), best_trial,
    why (empty when it has a score).
    """
    rows = []
    for family in _chosen_families(studies):
        mine = [t for study in studies for t in study.get_trials(deepcopy=False)
                if t.user_attrs.get("family") == family]
        done = [t for t in mine if t.state == _COMPLETE]
        best = max(done, key=lambda t: t.value if maximize else -t.value) if done else None
        folds = list(best.user_attrs.get("fold_scores", [])) if best else []
        rows.append({"family": family, "model": _label(family), "score": best.value if best else None,
                     "spread": float(np.std(folds)) if len(folds) > 1 else None, "folds": len(folds),
                     "finished": len(done), "trials": len(mine),
                     "seconds": sum(_seconds(t) or 0.0 for t in mine), "best_trial": best.number if best else None,
                     "why": "" if best else _why_no_score(mine)})
    table = pd.DataFrame(rows, columns=["family", "model", "score", "spread", "folds", "finished", "trials",
                                        "seconds", "best_trial", "why"])
    return table.sort_values("score", ascending=not maximize, na_position="last", kind="stable",
                             ignore_index=True)


def portfolio_table(studies: list[optuna.Study]) -> pd.DataFrame:
    """The start configurations a search queued before its sampler took over (``engine.train.tuning.start_points``),
    in running order: model, configuration, outcome, score (mean over the folds), spread, seconds."""
    rows = []
    for study in studies:
        for t in study.get_trials(deepcopy=False):
            if "fixed_params" not in t.system_attrs:
                continue
            params = {k.split("__", 1)[-1]: v for k, v in t.system_attrs["fixed_params"].items() if k != "family"}
            folds = list(t.user_attrs.get("fold_scores", [])) if t.state == _COMPLETE else []
            family = t.user_attrs.get("family") or t.system_attrs["fixed_params"].get("family") or _only(study)
            rows.append({"trial": t.number, "model": _label(family), "configuration": _params_text(params),
                         "outcome": _outcome(t), "score": t.value if folds else None,
                         "spread": float(np.std(folds)) if len(folds) > 1 else None, "seconds": _seconds(t)})
    return pd.DataFrame(rows, columns=["trial", "model", "configuration", "outcome", "score", "spread", "seconds"])


def winner_verdict(families: pd.DataFrame, metric_label: str, winner: str | None = None,
                   validation: dict[str, float] | None = None) -> str | None:
    """Why the winner won, in words, from the cross-validated scores of ``family_table``.

    ``winner``: the family the run chose (None while the search runs: the leader so far is named); ``validation``:
    each refitted family's score on the validation rows, quoted when the run chose on them rather than on the folds
    (the winner is not the cross-validated leader, or it is the ensemble).
    """
    scored = families.dropna(subset=["score"])
    if scored.empty:
        return None
    lead, validation = scored.iloc[0], validation or {}
    if winner is None:
        return f"Leading so far: {_score_text(lead, metric_label)}" + _versus(scored, lead["family"])
    if winner == lead["family"]:
        return f"{lead['model']} won: {_score_text(lead, metric_label, named=False)}" + _versus(scored, winner)
    chosen = _label(winner)
    text = f"{chosen} won on the validation rows"
    if winner in validation and lead["family"] in validation:
        text += (f" ({metric_label} {validation[winner]:.4f} vs {validation[lead['family']]:.4f} for "
                 f"{lead['model']})")
    mine = scored[scored["family"] == winner]
    if mine.empty:
        return text + f"; out-of-fold, the best single model was {_score_text(lead, metric_label, oof=False)}."
    return (text + f"; out-of-fold it scored {_mean_spread(mine.iloc[0], oof=False)}, behind "
            f"{_score_text(lead, metric_label, oof=False)}.")


def unfinished_families(families: pd.DataFrame, run_notes: dict[str, str] | None = None) -> list[str]:
    """A warning for each chosen family left without a model: with ``run_notes`` (a finished run: family -> why it
    has no model, e.g. its refit ran out of time), those; else each family with no finished trial, and why."""
    if run_notes is not None:
        return [f"{_label(family)}: no model. {note[:1].upper()}{note[1:]}." for family, note in run_notes.items()]
    return [f"{row.model}: no score yet. {row.why[:1].upper()}{row.why[1:]}." for row in families.itertuples()
            if not pd.notna(row.score)]


def study_plots(study: optuna.Study) -> dict[str, go.Figure]:
    """Parameter importance, parallel coordinates and slice plots, when the study has enough trials."""
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(done) < 2 or not any(t.params for t in done):
        return {}
    plots = {}
    with warnings.catch_warnings():  # Optuna marks some plots experimental; they are stable enough to show
        warnings.simplefilter("ignore")
        for title, make in (("Parameter importance", visualization.plot_param_importances),
                            ("Parallel coordinates", visualization.plot_parallel_coordinate),
                            ("Slices", visualization.plot_slice)):
            try:
                plots[title] = make(study)
            except (ValueError, RuntimeError, ZeroDivisionError):
                continue  # e.g. importance needs two distinct values of some parameter
    return plots


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _label(family: str) -> str:
    return model_label(family) if family in MODELS or family == "ensemble" else family


def _seconds(trial: optuna.trial.FrozenTrial) -> float | None:
    return trial.duration.total_seconds() if trial.duration is not None else None


def _params_text(params: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _only(study: optuna.Study) -> str:
    families = study.user_attrs.get("spec", {}).get("families", [])
    return families[0] if len(families) == 1 else ""


def _chosen_families(studies: list[optuna.Study]) -> list[str]:
    """The families the studies' specs chose, in their order; those seen only in trials after them."""
    chosen = [f for study in studies for f in study.user_attrs.get("spec", {}).get("families", [])]
    chosen += [t.user_attrs["family"] for study in studies for t in study.get_trials(deepcopy=False)
               if "family" in t.user_attrs]
    return list(dict.fromkeys(chosen))


def _outcome(trial: optuna.trial.FrozenTrial) -> str:
    if trial.state == _COMPLETE:
        return "finished"
    if trial.state == optuna.trial.TrialState.PRUNED:
        return "stopped early: below the median" if trial.user_attrs.get("pruned") else "cut short by the time budget"
    if trial.state == optuna.trial.TrialState.FAIL:
        return "failed: " + trial.user_attrs.get("error", "an error")
    return "not run" if trial.state == optuna.trial.TrialState.WAITING else "running"


def _why_no_score(trials: list[optuna.trial.FrozenTrial]) -> str:
    """Why a family has no finished trial, from its trials' outcomes (the last one speaks)."""
    if not trials:
        return "the search ended before any of its trials started"
    last = trials[-1]
    if last.state == optuna.trial.TrialState.FAIL:
        return f"its trials failed (last error: {last.user_attrs.get('error', 'unknown')})"
    if last.state == optuna.trial.TrialState.PRUNED and last.user_attrs.get("pruned"):
        return "its trials were stopped early, scoring below the median of the others at the same fold"
    if last.state == optuna.trial.TrialState.PRUNED:
        return "the time budget ran out before its first trial finished; give the search more time or fewer models"
    return "its first trial has not finished yet"


def _mean_spread(row, oof: bool = True) -> str:
    """``0.8400 ± 0.0163 out-of-fold (3 folds)``; ``oof=False`` when the sentence already says out-of-fold."""
    spread = f" ± {row['spread']:.4f}" if pd.notna(row["spread"]) else ""
    where = f"{' out-of-fold' * oof} ({row['folds']} folds)" if row["folds"] > 1 else " on the validation rows"
    return f"{row['score']:.4f}{spread}{where}"


def _score_text(row, metric_label: str, named: bool = True, oof: bool = True) -> str:
    return f"{row['model'] + ' with ' if named else ''}{metric_label} {_mean_spread(row, oof)}"


def _versus(scored: pd.DataFrame, winner: str) -> str:
    others = scored[scored["family"] != winner]
    if others.empty:
        return "."
    second = others.iloc[0]
    spread = f" ± {second['spread']:.4f}" if pd.notna(second["spread"]) else ""
    return f" vs {second['score']:.4f}{spread} for {second['model']}, the next best model."
