"""What a tuning study shows an analyst: its trials as a table, the best-so-far curve, and Optuna's plots.

>>> import optuna
>>> study = optuna.create_study(direction="maximize")
>>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
>>> trials_table([study])[["trial", "state"]].shape
(3, 2)
"""

from __future__ import annotations

import warnings

import optuna
import pandas as pd
import plotly.graph_objects as go
from optuna import visualization

__all__ = ["best_so_far_figure", "study_plots", "trials_table"]


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


def best_so_far_figure(studies: list[optuna.Study], metric_label: str, maximize: bool) -> go.Figure:
    """Each study's trial values and its running best, in trial order."""
    figure = go.Figure()
    for study in studies:
        done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            continue
        values = pd.Series([t.value for t in done], index=[t.number for t in done])
        best = values.cummax() if maximize else values.cummin()
        name = study.study_name.split("-", 1)[-1]
        figure.add_scatter(x=values.index, y=values, mode="markers", name=f"{name} trials", opacity=0.5)
        figure.add_scatter(x=best.index, y=best, mode="lines", name=f"{name} best so far", line_shape="hv")
    figure.update_layout(title="Best so far", xaxis_title="trial", yaxis_title=metric_label, height=360,
                         margin={"t": 50, "b": 40})
    return figure


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
