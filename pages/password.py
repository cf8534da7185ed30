"""The app password: when ``WORKBENCH_PASSWORD`` is set, app.py shows this form before anything else.

Success is remembered for the browser session only. Share links (``?share=``) do not pass through here:
they open their one project's read-only report without the password.
"""

from __future__ import annotations

import hmac
import os

import streamlit as st

PASSWORD_ENV = "WORKBENCH_PASSWORD"
_SIGNED_IN = "password_ok"


def signed_in() -> bool:
    """True when no password is set, or this session has typed the right one."""
    return not os.environ.get(PASSWORD_ENV) or st.session_state.get(_SIGNED_IN) is True


def password_form() -> None:
    """Ask for the password; a right one opens the app on the next run."""
    st.title("Workbench")
    with st.form("password_form"):
        entered = st.text_input("Password", type="password", key="password_entered")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        st.caption("This workbench is protected by a password. Ask the person who runs it.")
        return
    expected = os.environ.get(PASSWORD_ENV, "")
    if expected and hmac.compare_digest(entered.encode("utf-8"), expected.encode("utf-8")):
        st.session_state[_SIGNED_IN] = True
        st.session_state.pop("password_entered", None)
        st.rerun()
    st.error("That password is not right. Try again.", icon=":material/lock:")
