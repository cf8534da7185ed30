"""Deploy page section: start and stop a local REST server for a model, or for whichever model is the project's
champion, with a curl example."""

from __future__ import annotations

import streamlit as st

from pages import ui
from usecases import servers


def _start(ws, project_id: int, model_id: int | None, key: str) -> None:
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    port = left.number_input("Port (0 = any free port)", 0, 65_535, 0, key=f"deploy_port_{key}")
    label = "Start REST server" if model_id is not None else "Serve the champion"
    if right.button(label, key=f"deploy_serve_{key}", icon=":material/play_arrow:"):
        with ui.user_errors(), st.spinner("Starting the server…"):
            servers.start_server(ws, project_id, model_id, int(port) or None)
            st.rerun()


def _running(ws, server: dict, what: str, card: dict, key: str) -> None:
    url = servers.server_url(server)
    st.success(f"Serving {what} at {url} (docs: {url}/docs) since {server['started_at'][:19].replace('T', ' ')} "
               "UTC.", icon=":material/cloud_done:")
    st.code(servers.curl_example(server, card["features"]), language="bash")
    st.caption("Requests need the bearer token (WORKBENCH_API_TOKEN, in the command above)." if servers.api_token()
               else f"Open: anyone who reaches {url} can call it. Set WORKBENCH_API_TOKEN before starting the app "
                    "to require a bearer token.")
    intervals = card.get("prediction_intervals") or []
    if intervals:
        st.caption("Add `?interval=0.9` to the URL for prediction intervals (lower and upper bounds of each row); "
                   "levels offered: " + ", ".join(f"{i['level']:g} (covered {i['coverage']:.0%} of validation rows)"
                                                  for i in intervals) + ".")
    if st.button("Stop the server", key=f"deploy_stop_{key}", icon=":material/stop:"):
        servers.stop_server(ws, server)
        st.rerun()


def server_section(ws, project_id: int, model_id: int, card: dict) -> None:
    st.subheader("REST API")
    running = {s["model_id"]: s for s in servers.refresh_servers(ws, project_id)}
    server = running.get(model_id)
    if server is None:
        st.caption("Serve this model on this machine: `POST /predict` takes one JSON object or a list of them, "
                   "checked against the model's columns; `GET /health`, `GET /model` and interactive docs at "
                   "`/docs`. Requests are logged to the workspace for monitoring.")
        _start(ws, project_id, model_id, str(model_id))
    else:
        _running(ws, server, f"model #{model_id}", card, str(model_id))
    others = [s for m, s in running.items() if m not in (model_id, None)]
    if others:
        st.caption("Also running: " + ", ".join(f"model #{s['model_id']} at {servers.server_url(s)}" for s in others))
    with st.expander("Serve the champion, whichever model it is", expanded=None in running):
        st.caption("One address for your applications: the server answers with the project's champion and, after "
                   "a promotion or a rollback (Evaluate or Monitor), with the new one within a second, without a "
                   "restart. `GET /health` names the model answering.")
        if None in running:
            _running(ws, running[None], "the champion", card, "champion")
        elif ws.get_project(project_id)["champion_model_id"] is None:
            st.caption("No champion chosen yet: choose one on **Evaluate**, then serve it here.")
            st.page_link("pages/evaluate.py", label="Choose the champion on Evaluate", icon=":material/leaderboard:")
        else:
            _start(ws, project_id, None, "champion")
