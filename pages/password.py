"""The app password: when ``WORKBENCH_PASSWORD`` is set, app.py shows this form before anything else.

Success is remembered for the browser session only. Share links (``?share=``) do not pass through here:
they open their one project's read-only report without the password. Wrong tries make that client wait longer
each time (``usecases.password``).
"""

from __future__ import annotations

import streamlit as st

from usecases import USER_ERRORS
from usecases.password import check_password, password_required

_SIGNED_IN = "password_ok"


def signed_in() -> bool:
    """True when no password is set, or this session has typed the right one."""
    return not password_required() or st.session_state.get(_SIGNED_IN) is True


def password_form() -> None:
    """Ask for the password; a right one opens the app on the next run."""
    st.title("Workbench")
    with st.form("password_form"):
        entered = st.text_input("Password", type="password", key="password_entered")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        st.caption("This workbench is protected by a password. Ask the person who runs it.")
        return
    address = st.context.ip_address  # None on localhost; not a string in a test run
    try:
        ok = check_password(entered, client=address if isinstance(address, str) else "local")
    except USER_ERRORS as exc:  # too many wrong tries: "Wait 4 s, then try again."
        st.error(str(exc), icon=":material/lock:")
        return
    if ok:
        st.session_state[_SIGNED_IN] = True
        st.session_state.pop("password_entered", None)
        st.rerun()
    st.error("That password is not right. Try again.", icon=":material/lock:")
