"""Evaluate page sections: verify that a model reproduces from its run's stored inputs; a regression model's
prediction interval."""

from __future__ import annotations

import streamlit as st

from engine.evaluate.conformal import LEVELS
from pages import ui
from usecases import evaluation, replay


def reproducibility(key: tuple) -> None:
    """Refit the model from its run's stored data, recipe, parameters and seed, and say whether it matches."""
    model_id = key[1]
    st.markdown("**Reproducibility**")
    st.caption("Refits this model from its run's stored data (checked by sha256), column types, recipe, "
               "parameters and seed, and compares the validation results with the stored ones.")
    if st.button("Verify reproducibility", key=f"evaluate_verify_{model_id}"):
        with ui.user_errors(), st.spinner("Refitting the model from its stored inputs…"):
            st.session_state[f"evaluate_verified_{model_id}"] = replay.verify_model(ui.workspace(), model_id)
    check = st.session_state.get(f"evaluate_verified_{model_id}")
    if check is not None:
        (st.success if check.match else st.error)(check.message)
        with st.expander("Stored and replayed metrics"):
            st.dataframe(check.metrics, hide_index=True, width="stretch",
                         column_config={"stored": st.column_config.NumberColumn(format="%.6f"),
                                        "replayed": st.column_config.NumberColumn(format="%.6f"),
                                        "difference": st.column_config.NumberColumn(format="%.2e")})


def interval_note(model_id: int) -> None:
    """The split-conformal prediction interval at a chosen level, with its measured coverage."""
    level = st.segmented_control("Prediction interval", LEVELS, default=0.9, format_func=lambda v: f"{v:.0%}",
                                 key=f"evaluate_interval_{model_id}") or 0.9
    with ui.user_errors():
        interval = evaluation.prediction_interval(ui.workspace(), model_id, level)
        st.info(f"{interval.level:.0%} prediction interval: prediction ± {interval.half_width:.4g}. Measured "
                f"coverage {interval.coverage:.1%} on {interval.rows:,} validation rows (each fifth calibrated on the "
                "other four). Batch scoring on Deploy can add these bounds.", icon=":material/straighten:")
