"""Train page sections: the search settings, and a live view of the tuning studies behind a job."""

from __future__ import annotations

import streamlit as st

from engine import METRICS, MODELS
from engine.train.catalog import too_slow
from engine.train.tuning_report import (
    best_so_far_figure,
    family_table,
    portfolio_table,
    study_plots,
    trials_table,
    unfinished_families,
    winner_verdict,
)
from pages import ui
from usecases import training, tuning

_SEARCH_LABELS = {"none": "No search: each model's sensible defaults", "grid": "Grid search",
                  "random": "Random search", "tpe": "Bayesian search (TPE)"}
_PRUNER_LABELS = {"none": "Never", "median": "Below the median of earlier trials at the same fold",
                  "halving": "Successive halving"}


def search_settings(settings: dict, key: str) -> dict:
    """Widgets for the tuning settings (keys start with ``key``); returns their values."""
    st.markdown("**Tuning**")
    a, b = st.columns([3, 2])
    search = a.selectbox("Hyper-parameter search", list(_SEARCH_LABELS), format_func=_SEARCH_LABELS.get,
                         index=list(_SEARCH_LABELS).index(settings["search"]), key=f"{key}_search",
                         help="Optuna tries parameter sets, each scored by cross-validation on the training rows.")
    trials = b.number_input("Trials per model (in total with AutoML)", 1, 10_000, settings["n_trials"],
                            key=f"{key}_trials")
    c, d = st.columns([3, 2])
    pruner = c.selectbox("Stop a trial early when its folds score", list(_PRUNER_LABELS),
                         format_func=_PRUNER_LABELS.get, index=list(_PRUNER_LABELS).index(settings["pruner"]),
                         key=f"{key}_pruner")
    patience = d.number_input("Stop after this many trials without improvement (0 = never)", 0, 10_000,
                              settings["patience"] or 0, key=f"{key}_patience")
    automl = st.toggle("AutoML: search all chosen models at once, under one budget", value=settings["automl"],
                       key=f"{key}_automl",
                       help="One study picks the model family as one more parameter, so promising families get "
                            "more trials.")
    ensemble = st.toggle("Try a voting ensemble of the best models (kept only if it beats them on validation)",
                         value=settings["ensemble"], key=f"{key}_ensemble")
    return {"search": search, "n_trials": int(trials), "pruner": pruner, "patience": int(patience) or None,
            "automl": automl, "ensemble": ensemble}


def loss_settings(settings: dict, task: str, key: str) -> dict:
    """A loss picker for each model family that offers a choice (keys start with ``key``)."""
    offered = {name: f.losses.get(task, ()) for name, f in MODELS.items() if len(f.losses.get(task, ())) > 1}
    chosen = {}
    with st.expander("Loss / objective per model"):
        for name, losses in offered.items():
            current = settings["losses"].get(name, losses[0])
            chosen[name] = st.selectbox(MODELS[name].label, losses, index=losses.index(current),
                                        key=f"{key}_loss_{name}")
    return {name: loss for name, loss in chosen.items() if loss != offered[name][0]}


def slow_warnings(models: list[str], n_rows: int) -> None:
    """Say before the user waits which chosen families get slow on this much data."""
    for name in models:
        note = too_slow(name, n_rows)
        if note:
            st.warning(note, icon=":material/hourglass:")


def studies_view(ws, job_id: int, metric: str, finished: bool) -> int:
    """The job's trials so far, the best-so-far curve and, once finished, Optuna's plots; returns the trial count."""
    studies = tuning.job_studies(ws, job_id)
    if not studies:
        return 0
    table = trials_table(studies)
    states = table["state"].value_counts().to_dict()
    st.caption(f"{len(table)} trial{'s' * (len(table) != 1)}: " + ", ".join(f"{n} {s}" for s, n in states.items()))
    label, maximize = METRICS[metric].label, METRICS[metric].greater_is_better
    families = family_table(studies, maximize)
    choice = tuning.run_choice(ws, job_id, metric) if finished else None
    verdict = winner_verdict(families, label, choice and choice.winner, choice and choice.validation)
    if verdict:
        (st.success if choice else st.info)(verdict, icon=":material/emoji_events:")
    if choice:
        for warning in unfinished_families(families, choice.missing):
            st.warning(warning, icon=":material/warning:")
        if choice.ensemble:
            st.caption(f"No ensemble kept: {choice.ensemble}.")
    if families["finished"].any():
        st.plotly_chart(best_so_far_figure(studies, label, maximize), width="stretch",
                        key=f"best_{job_id}_{len(table)}")
    st.markdown(f"**Best of each model**: {label} cross-validated on the training rows, the mean over the folds ± "
                "their standard deviation")
    st.table(_family_rows(families))
    with st.expander("Start configurations (the portfolio the search ran first)", expanded=finished):
        st.table(_portfolio_rows(portfolio_table(studies)))
    with st.expander("Trials", expanded=not finished):
        st.dataframe(table.sort_values(["study", "trial"], ascending=[True, False]), hide_index=True,
                     width="stretch", height=260)
    with st.expander("Add workers from other processes or machines"):
        st.code(tuning.worker_command(ws, studies[0]), language="bash")
        st.caption("A worker joins the study through its storage and runs trials beside this job. Several "
                   "machines need a shared database (PostgreSQL) as the storage; see the README.")
    if finished:
        with st.expander("What the search learned: parameter importance, parallel coordinates, slices"):
            names = [study.study_name for study in studies]
            name = st.selectbox("Study", names, key=f"study_{job_id}") if len(names) > 1 else names[0]
            plots = study_plots(studies[names.index(name)])
            if not plots:
                st.caption("Too few finished trials with parameters to plot.")
            else:
                for tab, (title, figure) in zip(st.tabs(list(plots)), plots.items(), strict=True):
                    tab.plotly_chart(figure, width="stretch", key=f"{name}_{title}")
    return len(table)


def _score(score, spread) -> str:
    if score is None or score != score:  # None or NaN: no finished trial
        return "—"
    return f"{score:.4f}" + (f" ± {spread:.4f}" if spread is not None and spread == spread else "")


def _seconds(seconds) -> str:
    return "—" if seconds is None or seconds != seconds else f"{seconds:.1f}"


def _family_rows(families):
    rows = families.assign(**{
        "CV score": [_score(a, b) for a, b in zip(families["score"], families["spread"], strict=True)],
        "trials finished": [f"{a} of {b}" for a, b in zip(families["finished"], families["trials"], strict=True)],
        "seconds": [_seconds(x) for x in families["seconds"]], "no score because": families["why"]}).set_index("model")
    columns = ["CV score", "folds", "trials finished", "seconds"] + ["no score because"] * any(families["why"])
    return rows[columns]


def _portfolio_rows(portfolio):
    rows = portfolio.assign(**{
        "CV score": [_score(a, b) for a, b in zip(portfolio["score"], portfolio["spread"], strict=True)],
        "seconds": [_seconds(x) for x in portfolio["seconds"]]}).set_index("trial")
    return rows[["model", "configuration", "outcome", "CV score", "seconds"]]


def extend_form(ws, project_id: int, job_id: int, trials: int) -> None:
    """Give a finished or cancelled search (of ``trials`` trials so far) more trials or more time: same studies,
    earlier trials kept."""
    run = tuning.job_run(ws, job_id)
    if run is None or (run["settings"] or {}).get("search", "none") == "none":
        return
    with st.form(f"extend_{job_id}", enter_to_submit=False):  # only the button starts the job
        st.markdown("**Continue this search**")
        st.caption(f"More trials in the same studies: the {trials} trials so far are kept and guide the search. "
                   f"It uses run {run['id']}'s data, recipe and settings; the refitted models appear on Evaluate "
                   "as a new run.")
        a, b = st.columns(2)
        more = a.number_input("More trials (0 = as many as time allows)", 0, 10_000, run["settings"]["n_trials"],
                              key=f"extend_trials_{job_id}")
        seconds = b.number_input("More seconds (0 = no time limit)", 0, 86_400, 0, key=f"extend_seconds_{job_id}")
        if st.form_submit_button("Continue the search"):
            with ui.user_errors():
                training.extend_training(ws, project_id, run["id"], int(more) or None, float(seconds) or None)
                st.rerun()
