"""The read-only report a share link opens (``?share=<token>``): one project, nothing to change, nowhere else to go.

app.py routes here, without the navigation or the sidebar, whenever the URL has ``share``. A wrong, revoked or
expired token shows one neutral message and nothing of any project.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.deploy.project_report import column_summary, eda_figures, evaluation_figures, facts_table
from pages import ui
from pages.sections.deploy_share import cached_html, cached_report, report_version
from usecases import USER_ERRORS, sharing

_SEEN = "shared_report_seen"  # count one opening per browser session, not one per rerun
_RESULT = "shared_prediction"

st.markdown("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
            "[data-testid='stExpandSidebarButton']{display:none}</style>", unsafe_allow_html=True)


@st.cache_data(max_entries=8, ttl=600, show_spinner=False)
def _form(home: str, model_id: int) -> list:
    return sharing.prediction_form(ui.workspace(), model_id)


def _charts(figures) -> None:
    for left, right in zip(figures[::2], figures[1::2] + [None], strict=True):
        cols = st.columns(2) if right is not None else [st.container()]
        cols[0].plotly_chart(left, width="stretch")
        if right is not None:
            cols[1].plotly_chart(right, width="stretch")


def _field(i: int, field):
    key, label = f"shared_input_{i}", field.name
    if field.kind == "numeric":
        return st.number_input(label, value=field.value, key=key, format="%g")
    if field.options:
        return st.selectbox(label, field.options, index=field.options.index(field.value), key=key)
    return st.text_input(label, value="" if field.value is None else str(field.value), key=key) or None


def _try_prediction(ws, token: str, report) -> None:
    st.subheader("Try a prediction")
    st.caption(f"Scored by {report.champion.label}. The fields start at typical values (the median, or the most "
               "frequent value); change any and press Predict. Nothing you type is kept but a log line.")
    fields = _form(str(ws.home), report.champion.model_id)
    with st.form("shared_predict"):
        columns = st.columns(3)
        values = {}
        for i, field in enumerate(fields):
            with columns[i % 3]:
                values[field.name] = _field(i, field)
        submitted = st.form_submit_button("Predict", type="primary")
    if submitted:
        with ui.user_errors():
            st.session_state[_RESULT] = sharing.predict_shared(ws, token, values).to_dict("records")
    if st.session_state.get(_RESULT):
        result = pd.DataFrame(st.session_state[_RESULT])
        st.success(f"Prediction: **{result['prediction'].iloc[0]}**", icon=":material/online_prediction:")
        if len(result.columns) > 1:
            st.dataframe(result.drop(columns="prediction"), hide_index=True)


ws = ui.workspace()
token = st.query_params.get("share", "")
try:
    share = sharing.resolve_share(ws, token, count_open=_SEEN not in st.session_state)
except USER_ERRORS:
    st.info(sharing.INVALID_LINK, icon=":material/link_off:")
    st.stop()
st.session_state[_SEEN] = True
version = report_version(share["project_id"])
report = cached_report(str(ws.home), share["project_id"], version)

st.title(report.project)
target = f" · predicting **{report.target}** ({report.task})" if report.target else ""
st.caption(f"Read-only report{target} · as of {report.generated_at}")
ui.download_button(st, "Download this report (.html)", cached_html(str(ws.home), share["project_id"], version),
                   file_name=f"{report.project}-report.html".replace(" ", "_"), mime="text/html",
                   icon=":material/download:", key="shared_download_html")

if report.profile is not None:
    st.subheader(f"Data: {report.dataset}")
    facts = facts_table(report.profile)
    for col, (label, value) in zip(st.columns(4), facts.values[:4], strict=True):
        col.metric(label.capitalize(), value)
    st.caption(f"Column kinds: {facts['value'].iloc[4]}")
    st.dataframe(column_summary(report.profile), hide_index=True, width="stretch")
    st.subheader("Key charts")
    _charts(eda_figures(report.profile))

st.subheader("Leaderboard")
if report.leaderboard.empty:
    st.info("No trained models yet.")
else:
    st.caption(f"The models of the latest training run (#{report.leaderboard['run #'].iloc[0]}), best first, with "
               "its baseline." + (" Class decisions use each model's decision threshold." if "decision threshold"
                                  in report.leaderboard else ""))
    st.dataframe(report.leaderboard, hide_index=True, width="stretch")

champion = report.champion
if champion is not None:
    which = "champion" if champion.chosen else "best model on validation (no champion chosen yet)"
    st.subheader(f"Evaluation of the {which}: {champion.label}")
    if champion.classes is not None and len(champion.classes) == 2:
        threshold = champion.card.get("decision_threshold")
        st.caption(f"Classes are decided at the decision threshold {threshold or 0.5:.2f}"
                   + (" (set by the project's owner)." if threshold is not None else " (the most probable class)."))
    if champion.test_score is not None:
        st.metric(f"Final test {report.metric}", f"{champion.test_score:.4f}")
    _charts(evaluation_figures(champion, report.task))
    with st.expander("Model card", icon=":material/description:"):
        st.markdown(champion.card_markdown)
    if share["allow_predict"]:
        _try_prediction(ws, token, report)
