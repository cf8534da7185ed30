"""Deploy page section: share links for stakeholders (made, listed, revoked) and the report as one HTML file.

Also the cached report loaders the shared view (pages/shared_report.py) uses, so both build the report alike.
"""

from __future__ import annotations

from urllib.parse import urlparse

import streamlit as st

from engine.deploy.project_report import project_html
from pages import ui
from usecases import projects, sharing

_EXPIRY = {None: "never", 7: "in 7 days", 30: "in 30 days", 90: "in 90 days"}
_BUILD_HTML = "deploy_share_html_for"  # the project whose HTML report the owner asked for
_SHOWN = 20  # links listed (newest first)


def report_version(project_id: int) -> tuple:
    """What the report depends on: the project's last change and its models' status and test scores."""
    return projects.project_version(ui.workspace(), project_id)


@st.cache_data(max_entries=8, ttl=600, show_spinner="Building the report…")
def cached_report(home: str, project_id: int, version: tuple):
    return sharing.report_data(ui.workspace(), project_id)


@st.cache_data(max_entries=4, ttl=600, show_spinner="Writing the HTML file…")
def cached_html(home: str, project_id: int, version: tuple) -> str:
    return project_html(cached_report(home, project_id, version))


def share_url(token: str) -> str:
    """The full link: this app's address (as the browser sees it) with ``?share=<token>``."""
    url = urlparse(st.context.url or "")
    if url.scheme and url.netloc:
        base = f"{url.scheme}://{url.netloc}{url.path.rsplit('/', 1)[0]}"
    else:  # no browser address (e.g. a test run): the configured one
        base = f"http://{st.get_option('server.address') or 'localhost'}:{st.get_option('server.port')}"
    return f"{base}/?share={token}"


def _when(stamp: str | None) -> str:
    return stamp[:16].replace("T", " ") if stamp else "–"


def _links(ws, project_id: int) -> None:
    shares = sharing.list_shares(ws, project_id)
    if not shares:
        st.caption("No share links yet.")
        return
    widths = [3, 2, 2, 1, 2, 1, 1.5]
    for col, head in zip(st.columns(widths), ["label", "created (UTC)", "expires", "opens", "last opened",
                                              "status", ""], strict=True):
        if head:
            col.markdown(f"**{head}**")
    for share in shares[:_SHOWN]:
        cols = st.columns(widths, vertical_alignment="center")
        cols[0].text(share["label"] + (" · predictions" if share["allow_predict"] else ""))
        for col, value in zip(cols[1:6], [_when(share["created_at"]), _when(share["expires_at"]) if
                                          share["expires_at"] else "never", str(share["opens"]),
                                          _when(share["last_opened_at"]), share["status"]], strict=True):
            col.text(value)
        if share["status"] == "active" and cols[6].button("Revoke", key=f"deploy_share_revoke_{share['id']}"):
            with ui.user_errors():
                sharing.revoke_share(ws, project_id, share["id"])
                st.rerun()
    if len(shares) > _SHOWN:
        st.caption(f"… and {len(shares) - _SHOWN} older links.")


def share_section(ws, project: dict) -> None:
    pid = project["id"]
    st.subheader("Share with stakeholders")
    st.caption("A share link opens a read-only report of this project (data summary, key charts, leaderboard, "
               "the champion's evaluation and model card) without the app password, and reaches nothing else. "
               "The link is shown once: copy it when you make it. Revoke it any time.")
    # Enter in the label must not create a link before its expiry and rights are chosen: only the button does.
    with st.form("deploy_share_form", clear_on_submit=True, enter_to_submit=False):
        left, middle = st.columns([2, 1])
        label = left.text_input("Label (who the link is for)", placeholder="e.g. Board meeting", max_chars=100)
        days = middle.selectbox("Expires", list(_EXPIRY), format_func=_EXPIRY.get)
        allow = st.checkbox("Let viewers try a prediction with the champion (one row at a time)")
        submitted = st.form_submit_button("Create share link", type="primary", icon=":material/link:")
    if submitted:
        with ui.user_errors():
            token, _ = sharing.create_share(ws, pid, label, days, allow)
            st.success("Link created. Copy it now: it is shown only this once (only its hash is stored).",
                       icon=":material/link:")
            st.code(share_url(token), language=None)
    _links(ws, pid)
    if st.session_state.get(_BUILD_HTML) != pid:
        if st.button("Build the report as one HTML file", key="deploy_share_build_html",
                     icon=":material/description:", help="The same report, to open offline or attach to an email"):
            st.session_state[_BUILD_HTML] = pid
            st.rerun()
        return
    html = cached_html(str(ws.home), pid, report_version(pid))
    ui.download_button(st, "Download the report (.html)", html, file_name=f"{project['name']}-report.html".replace(
        " ", "_"), mime="text/html", icon=":material/download:", key="deploy_share_download_html")
    st.caption(f"{len(html) / 1e6:,.1f} MB, with plotly.js inside: it opens without a network.")
