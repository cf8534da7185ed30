"""Evaluate page section: can a classifier's probabilities be read as chances? Its reliability diagram on the
validation rows, its log loss against predicting the class shares, and what training's calibration check did."""

from __future__ import annotations

import streamlit as st

from engine.evaluate.plots import reliability_figure
from pages import ui
from usecases import evaluation


@st.cache_data(max_entries=32, show_spinner=False)
def _report(home: str, model_id: int, sha: str) -> evaluation.CalibrationReport:
    return evaluation.calibration_report(ui.workspace(), model_id)


def render(key: tuple, task: str) -> None:
    """The Calibration section of the model ``key`` (home, model id, sha256); nothing for regression."""
    if task != "classification":
        return
    st.subheader("Calibration")
    with ui.user_errors():
        report = _report(*key)
        check = report.check or {}
        if check.get("warning"):
            st.error(check["warning"], icon=":material/warning:")
        st.markdown(_versus_prior(report))
        if check:
            st.caption(f"Training's check ({check['source'] or 'not run'}): {check['reason']}")
            if check.get("onnx"):
                st.caption(check["onnx"])
        st.plotly_chart(reliability_figure(report.reliability), width="stretch", key="evaluate_calibration_chart")
        st.caption("Each point is a bin of rows with similar predicted probability: on the dashed diagonal, "
                   "what the model says happens as often as it says. Above it the model is too unsure, below it "
                   "too sure." + (" For more than two classes, the probability of the predicted class against "
                                  "whether it was right." if report.reliability.subject.endswith("class)") else ""))


def _versus_prior(report: evaluation.CalibrationReport) -> str:
    """The validation log loss against that of the class shares, in words."""
    loss, prior = report.log_loss, report.prior_log_loss
    if loss < prior:
        verdict = f"**{1 - loss / prior:.0%} better** than predicting the class shares of {report.prior_source}"
    else:
        verdict = (f"**no better** than predicting the class shares of {report.prior_source} "
                   f"({loss / prior - 1:.0%} worse): its probabilities carry no information beyond them")
    return (f"Log loss on the validation rows **{loss:.4f}**, against **{prior:.4f}** for the class shares: "
            f"{verdict}.")
