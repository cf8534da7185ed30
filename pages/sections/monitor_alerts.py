"""Monitor page section: the project's open alerts (acknowledge), running the checks now, and the webhook."""

from __future__ import annotations

import streamlit as st

from pages import ui
from usecases import alerts

CHECKED_KEY = "monitor_checked"
ICONS = {"drift": ":material/ssid_chart:", "decay": ":material/trending_down:"}


def alerts_section(ws, project_id: int) -> None:
    """A banner and list of open alerts, with Acknowledge; "Run checks now"; the webhook URL."""
    top = st.container(horizontal=True, vertical_alignment="center")
    if top.button("Run checks now", icon=":material/play_arrow:", key="monitor_run_checks",
                  help="Check the champion on every batch and on the late labels, as `python -m engine monitor` "
                       "does from cron; each new finding becomes one alert"):
        with ui.user_errors(), st.spinner("Checking the champion for drift and decay…"):
            run = alerts.run_checks(ws, project_id)
            # rerun so the sidebar, drawn before this page, counts the new alerts too
            status = run.summary["status"]
            st.session_state[CHECKED_KEY] = (f"Checks done: {len(run.new_alerts)} new alert(s), "
                                             f"{run.summary['open_alerts']} open." if status == "checked"
                                             else status.capitalize() + ".")
            st.rerun()
    if CHECKED_KEY in st.session_state:
        st.toast(st.session_state.pop(CHECKED_KEY), icon=":material/check:")
    _webhook(ws, project_id, top)
    open_alerts = alerts.open_alerts(ws, project_id)
    if not open_alerts:
        return
    st.error(f"{len(open_alerts)} open alert(s) on this project. Acknowledge each once it is handled.",
             icon=":material/notifications_active:")
    for alert in open_alerts:
        row = st.container(border=True, horizontal=True, vertical_alignment="center")
        sent = alert["delivery"]
        note = "" if not sent else f" · webhook: {sent['message']}"
        row.markdown(f"{ICONS.get(alert['kind'], '')} **{alert['kind'].capitalize()}** · "
                     f"{alert['created_at'][:16].replace('T', ' ')} UTC{note}  \n{alert['message']}",
                     width="stretch")
        if row.button("Acknowledge", key=f"monitor_ack_{alert['id']}"):
            alerts.acknowledge(ws, alert["id"])
            st.rerun()


def _webhook(ws, project_id: int, where) -> None:
    current = alerts.webhook(ws, project_id) or ""
    with where.popover("Webhook" + (" (on)" if current else ""), icon=":material/webhook:"):
        with st.form(f"monitor_webhook_{project_id}", border=False):
            url = st.text_input("Post each new alert as JSON to", value=current,
                                placeholder="https://hooks.example.org/workbench", key="monitor_webhook_url")
            if st.form_submit_button("Save"):
                with ui.user_errors():
                    saved = alerts.save_webhook(ws, project_id, url)
                    st.toast("Webhook saved." if saved else "Webhook removed.", icon=":material/check:")
