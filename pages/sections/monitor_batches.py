"""Monitor page section: the stored incoming batches, and deleting one (e.g. a file uploaded by mistake)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import ui
from usecases import monitoring


def batches_expander(ws, project_id: int, batches: list[dict]) -> None:
    """List the stored batches of ``incoming_batches`` (REST days are a log, not stored batches) with a delete."""
    stored = [b for b in batches if b["key"].startswith("batch:")]
    if not stored:
        return
    with st.expander(f"Stored batches ({len(stored)})", icon=":material/inventory_2:"):
        st.dataframe(pd.DataFrame([{"batch": b["label"], "source": b["source"], "rows": b["n_rows"],
                                    "arrived (UTC)": b["created_at"][:19].replace("T", " ")} for b in stored]),
                     hide_index=True, width="stretch", key="monitor_batches_table")
        names = {int(b["key"].split(":")[1]): b["label"] for b in stored}
        chosen = st.selectbox("Batch to delete", list(names), format_func=names.get, index=None,
                              placeholder="Pick a batch uploaded by mistake…",
                              key=f"monitor_batch_delete_pick_{len(stored)}")
        st.caption("A deleted batch leaves every drift check, decay window and retraining. This cannot be undone; "
                   "the REST server's requests are a log and stay.")
        if st.button("Delete batch", icon=":material/delete:", disabled=chosen is None,
                     key="monitor_batch_delete"):
            with ui.user_errors():
                monitoring.delete_batch(ws, project_id, chosen)
                st.toast(f"Deleted {names[chosen]}.")
                st.rerun()
