"""Deploy page section: start and stop a local REST server for a model, with a curl example."""

from __future__ import annotations

import streamlit as st

from pages import ui
from usecases import servers


def server_section(ws, project_id: int, model_id: int, features: list[dict]) -> None:
    st.subheader("REST API")
    running = {s["model_id"]: s for s in servers.refresh_servers(ws, project_id)}
    server = running.get(model_id)
    if server is None:
        st.caption("Serve this model on this machine: `POST /predict` takes one JSON object or a list of them, "
                   "checked against the model's columns; `GET /health`, `GET /model` and interactive docs at "
                   "`/docs`. Requests are logged to the workspace for monitoring.")
        left, right = st.columns([1, 3], vertical_alignment="bottom")
        port = left.number_input("Port (0 = any free port)", 0, 65_535, 0, key=f"deploy_port_{model_id}")
        if right.button("Start REST server", key=f"deploy_serve_{model_id}", icon=":material/play_arrow:"):
            with ui.user_errors(), st.spinner("Starting the server…"):
                servers.start_server(ws, project_id, model_id, int(port) or None)
                st.rerun()
    else:
        url = servers.server_url(server)
        st.success(f"Serving model #{model_id} at {url} (docs: {url}/docs) since "
                   f"{server['started_at'][:19].replace('T', ' ')} UTC.", icon=":material/cloud_done:")
        st.code(servers.curl_example(server, features), language="bash")
        if st.button("Stop the server", key=f"deploy_stop_{model_id}", icon=":material/stop:"):
            servers.stop_server(ws, server)
            st.rerun()
    others = [s for m, s in running.items() if m != model_id]
    if others:
        st.caption("Also running: " + ", ".join(f"model #{s['model_id']} at {servers.server_url(s)}" for s in others))
