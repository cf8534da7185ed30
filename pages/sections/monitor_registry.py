"""Monitor page section: retrain the champion on new labelled data, compare the challenger, promote, roll back."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import model_label
from engine.evaluate.metrics import METRICS
from pages import ui
from usecases import jobs, projects, registry, retraining, verdicts

DATA_KEY = "monitor_retrain_data"
WINDOW_KEY = "monitor_retrain_window"
DONE_KEY = "monitor_registry_done"  # what the last promotion or rollback did, said after its rerun
ASK_KEY = "monitor_registry_ask"  # the action waiting for confirmation: ("promote" | "rollback", model id)


@st.cache_data(max_entries=8, show_spinner="Scoring champion and challenger on the same rows…")
def _comparison(home: str, project_id: int, champion_id: int, challenger_id: int,
                signature: tuple) -> retraining.Comparison:
    return retraining.compare_on_recent(ui.workspace(), project_id, challenger_id)


def registry_section(ws, project_id: int) -> None:
    """Retrain, watch the job, compare champion and challenger, promote or roll back; the versions table."""
    st.subheader("Retrain and promote")
    st.caption("Retraining reuses the champion's recipe and model settings on data that includes the new rows "
               "with late labels. The new model becomes a **challenger**: it replaces the champion only when you "
               "promote it. Every version is kept, so you can roll back.")
    project = projects.open_project(ws, project_id)
    if not project["champion_model_id"]:
        st.info("Choose a champion on **Evaluate** first: retraining starts from it.")
        st.page_link("pages/evaluate.py", label="Choose the champion on Evaluate", icon=":material/leaderboard:")
        return
    _retrain_form(ws, project_id)
    job = retraining.latest_job(ws, project_id)
    running = job is not None and ui.watch_job(ws, job["id"], title="Retraining job", cancel="Cancel retraining",
                                               key="monitor_retrain")["status"] in jobs.ACTIVE
    if running:
        st.caption("The comparison with the champion appears here when the retraining has finished.")
    challenger = registry.challenger(ws, project_id)
    if challenger and not running:  # never promote an older challenger while a newer one is being trained
        _compare(ws, project, challenger, retraining.data_signature(ws, project_id))
    if done := st.session_state.pop(DONE_KEY, None):
        st.success(done, icon=":material/military_tech:")
    _rollback(ws, project_id)
    _versions(ws, project_id)


def _retrain_form(ws, project_id: int) -> None:
    data = st.radio("Train on", list(retraining.DATA_CHOICES), format_func=retraining.DATA_CHOICES.get,
                    horizontal=True, key=DATA_KEY)
    window = None
    if data == "window":
        window = int(st.number_input("Rows in the window (the most recent, by arrival)", 10, 10_000_000, 1000, 100,
                                     key=WINDOW_KEY))
    st.caption(f"The most recent {retraining.HOLDOUT_SHARE:.0%} of the labelled new rows are held out of the "
               "retraining, so both models can be compared on rows neither was trained on.")
    if st.button("Retrain", type="primary", icon=":material/model_training:", key="monitor_retrain"):
        with ui.user_errors():
            job = retraining.retrain(ws, project_id, data, window)
            st.success(f"Retraining started as job {job['id']}.", icon=":material/rocket_launch:")


def _compare(ws, project: dict, challenger: int, signature: tuple) -> None:
    champion = project["champion_model_id"]
    names = {m: _name(ws, m) for m in (champion, challenger)}
    st.markdown(f"**Champion {names[champion]} vs challenger {names[challenger]}**")
    verdict = None
    with ui.user_errors():
        result = _comparison(str(ws.home), project["id"], champion, challenger, signature)
        table = result.table
        verdict = verdicts.challenger_verdict(table)
        (st.success if verdict.good else st.info)(verdict.text)
        st.caption(f"Both models scored on {result.where}. Intervals: 95% bootstrap; the difference is a paired "
                   "bootstrap (the same resampled rows for both models).")
        st.dataframe(_shown(table).style.map(ui.verdict_style, subset=["verdict"]), hide_index=True, width="stretch",
                     height="content", key="monitor_registry_compare", column_config={
                         "metric": st.column_config.TextColumn(width=190),
                         "champion": st.column_config.NumberColumn(format="%.4f"),
                         "challenger": st.column_config.NumberColumn(format="%.4f"),
                         "challenger − champion": st.column_config.NumberColumn(
                             "difference", help="challenger − champion", format="%+.4f")})
    recommended = verdict is not None and verdict.good  # the primary button is the action the comparison proposes
    if st.button(f"Promote challenger {names[challenger]}", type="primary" if recommended else "secondary",
                 icon=":material/military_tech:", key="monitor_promote"):
        st.session_state[ASK_KEY] = ("promote", challenger)
    if st.session_state.get(ASK_KEY) == ("promote", challenger):
        _confirm_promote(ws, project["id"], names[champion], challenger, names[challenger], verdict)


def _forget_question() -> None:
    st.session_state.pop(ASK_KEY, None)


@st.dialog("Promote the challenger?", width="medium", on_dismiss=_forget_question)
def _confirm_promote(ws, project_id: int, champion: str, challenger: int, label: str, verdict) -> None:
    st.markdown(f"**{label}** becomes the champion: Deploy and Evaluate use it, and a server started with 'Serve the "
                f"champion' answers with it within a second. **{champion}** is archived; you can roll back.")
    if verdict is None or not verdict.good:
        st.warning("The comparison does not recommend this: the challenger is not clearly better than the champion "
                   "on the same rows.", icon=":material/warning:")
    left, right = st.columns(2)
    if left.button(f"Promote #{challenger}", type="primary", key="monitor_promote_confirm"):
        _forget_question()
        with ui.user_errors():
            registry.promote(ws, project_id, challenger)
            st.session_state[DONE_KEY] = f"Promoted: {label} is the champion now. {champion} is archived: roll back " \
                                         "to bring it back."
            st.rerun()
    if right.button("Cancel", key="monitor_promote_cancel"):
        _forget_question()
        st.rerun()


def _shown(table):
    """One row per metric: each model's score and 95% interval, the difference, its interval and the verdict."""
    def span(low, high):
        return [f"{lo:.4f} to {hi:.4f}" for lo, hi in zip(table[low], table[high], strict=True)]

    return pd.DataFrame({"metric": table["label"], "champion": table["a"], "champion 95%": span("a_low", "a_high"),
                         "challenger": table["b"], "challenger 95%": span("b_low", "b_high"),
                         "challenger − champion": table["difference"], "difference 95%": span("low", "high"),
                         "verdict": "● " + table["verdict"]})


def _rollback(ws, project_id: int) -> None:
    previous = registry.previous_champion(ws, project_id)
    if previous is None:
        return
    label = _name(ws, previous)
    if st.button(f"Roll back to the previous champion ({label})", icon=":material/undo:", key="monitor_rollback"):
        st.session_state[ASK_KEY] = ("rollback", previous)
    if st.session_state.get(ASK_KEY) == ("rollback", previous):
        _confirm_rollback(ws, project_id, _name(ws, ws.get_project(project_id)["champion_model_id"]), label)


@st.dialog("Roll back to the previous champion?", width="medium", on_dismiss=_forget_question)
def _confirm_rollback(ws, project_id: int, current: str, previous: str) -> None:
    st.markdown(f"**{previous}** becomes the champion again, in Deploy, Evaluate and the server that follows the "
                f"champion. **{current}** is archived; it can be promoted again later.")
    left, right = st.columns(2)
    if left.button(f"Roll back to {previous.split()[0]}", type="primary", key="monitor_rollback_confirm"):
        _forget_question()
        with ui.user_errors():
            registry.rollback(ws, project_id)
            st.session_state[DONE_KEY] = f"Rolled back: {previous} is the champion again."
            st.rerun()
    if right.button("Cancel", key="monitor_rollback_cancel"):
        _forget_question()
        st.rerun()


def _versions(ws, project_id: int) -> None:
    table = registry.versions(ws, project_id)
    if table.empty:
        return
    metric = table["metric"].dropna().iloc[0] if table["metric"].notna().any() else None
    st.markdown("**Versions**")
    st.caption("Each model's validation score is on its own run's validation rows: models trained on other data "
               "were scored on other rows, so compare them above, on the same rows.")
    st.dataframe(table.drop(columns="metric"), hide_index=True, width="stretch", key="monitor_registry_versions",
                 column_config={"validation": st.column_config.NumberColumn(
                     f"validation {METRICS[metric].label if metric else ''}".strip(), format="%.4f")})


def _name(ws, model_id: int) -> str:
    return f"#{model_id} {model_label(projects.model_record(ws, model_id)['family'])}"
