"""Deploy: score a file with the chosen model; a big file is scored in the background with a progress bar."""

from __future__ import annotations

import streamlit as st

from engine.data.io import SUPPORTED_EXTENSIONS
from pages import ui
from usecases import scoring


def scoring_section(ws, model_id: int, card: dict) -> None:
    """Upload, score once per file (the job id is kept, not the table), then the preview and the download."""
    st.subheader("Score a file")
    upload = st.file_uploader("Rows to score (same columns as the training data; the target may be absent)",
                              type=list(SUPPORTED_EXTENSIONS), key="deploy_score_upload")
    level = None
    if card["task"] == "regression" and st.checkbox("Add a 90% prediction interval (lower and upper bounds)",
                                                    key="deploy_intervals"):
        level = 0.9
    if upload is None:
        return
    key, scored = f"deploy_scoring_{model_id}", (upload.file_id, level)
    if st.session_state.get(f"{key}_upload") != scored:
        with ui.user_errors():
            st.session_state[key] = scoring.start_scoring(ws, model_id, upload.getvalue(), upload.name, level)["id"]
            st.session_state[f"{key}_upload"] = scored
    job_id = st.session_state.get(key) if st.session_state.get(f"{key}_upload") == scored else None
    if job_id is None:  # the upload was refused: the message above says why
        return
    job = ui.watch_job(ws, job_id, title="Scoring", cancel="Cancel scoring", key="deploy_scoring")
    if job["status"] == "succeeded":
        _result(ws, job_id, model_id)


def _result(ws, job_id: int, model_id: int) -> None:
    result = scoring.scoring_result(ws, job_id)
    ui.show_notes(result.notes)
    st.success(f"Scored {result.rows:,} rows.")
    shown = f"the first {len(result.preview):,}" if len(result.preview) < result.rows else "all"
    st.caption(f"{result.filename}: {shown} of {result.rows:,} rows, input columns first, then the predictions.")
    st.dataframe(result.preview, width="stretch", height=260)
    ui.download_button(st, "Download predictions (.csv)", lambda: scoring.predictions_bytes(ws, job_id),
                       file_name=f"predictions-{model_id}.csv", mime="text/csv", key="deploy_download_preds")
