"""Monitor: upload new data for a trained model and see which features drifted from its training data, and why."""

from __future__ import annotations

import streamlit as st

from engine.data.io import SUPPORTED_EXTENSIONS
from pages import ui
from pages.sections import monitor_alerts, monitor_batches, monitor_labels, monitor_registry, monitor_thresholds
from pages.sections import monitor_report as report
from usecases import monitoring

BATCH_KEY = "monitor_batch"
SEEN_KEY = "monitor_upload_seen"

st.title("Monitor")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]
model_id = ui.pick_trained_model(ws, project, "monitor_model", "No trained model to monitor yet. Train one on "
                                  "the **Train** page, then come back with new data.",
                                  champion_for="the scheduled checks and alerts, retraining and promotion")
monitor_alerts.alerts_section(ws, pid)
st.caption("New data is compared with a profile of the rows this model was trained on (its training split): "
           "per feature, how far the distribution moved (PSI for every kind, Kolmogorov-Smirnov for numbers, "
           "chi-square and Jensen-Shannon for categories), plus data-quality checks and the drift of the "
           "model's own predictions. Data arrives as files uploaded here, files scored on Deploy, rows "
           "appended on Data and REST requests (one batch per day).")

st.subheader("New data")
upload = st.file_uploader("Rows that arrived after training (same columns as the training data)",
                          type=list(SUPPORTED_EXTENSIONS), key="monitor_upload")
if upload is not None and st.session_state.get(SEEN_KEY) != (model_id, upload.file_id):
    with ui.user_errors():
        batch = monitoring.add_upload(ws, model_id, upload.getvalue(), upload.name)
        st.session_state[SEEN_KEY] = (model_id, upload.file_id)
        st.session_state[BATCH_KEY] = f"batch:{batch['id']}"  # show the new batch
        st.success(f"Stored '{upload.name}' as batch #{batch['id']}: {batch['n_rows']:,} rows, arrived "
                   f"{batch['created_at'][:19].replace('T', ' ')} UTC.", icon=":material/inventory_2:")

thresholds = monitor_thresholds.thresholds_expander(ws, pid)
batches = monitoring.incoming_batches(ws, model_id)
if not batches:
    st.info("No new data for this model yet: upload a file above, score a file on **Deploy**, or send requests "
            "to its REST server.")
    st.stop()

labels = {b["key"]: f"{b['label']} · {b['source']} · {b['n_rows']:,} rows · {b['created_at'][:16].replace('T', ' ')}"
          for b in reversed(batches)}
labels[monitoring.ALL] = f"All incoming data ({len(batches)} batches, {sum(b['n_rows'] for b in batches):,} rows)"
if st.session_state.get(BATCH_KEY) not in labels:
    st.session_state[BATCH_KEY] = batches[-1]["key"]
key = st.selectbox("Check", list(labels), format_func=labels.get, key=BATCH_KEY)
monitor_batches.batches_expander(ws, pid, batches)

st.subheader("Drift")
with ui.user_errors():
    check = report.cached_check(str(ws.home), model_id, key, report.signature(batches, thresholds))
    report.render_check(check, thresholds)
    report.render_over_time(ws, model_id, batches, thresholds)

monitor_labels.labels_section(ws, pid, model_id)
monitor_registry.registry_section(ws, pid)
