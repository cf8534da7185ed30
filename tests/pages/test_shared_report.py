"""Share links in the app: ?share=<token> shows one project's read-only report and nothing else; a bad token
shows a neutral message; WORKBENCH_PASSWORD puts a password form before the app (not before share links);
the Deploy page makes, shows once, lists and revokes links."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import ROOT, assert_clean, open_page
from usecases import password, sharing

SECRET_NAME = "Secret <b>merger</b> plans"


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query or {})
    return at.run()


def _texts(at: AppTest) -> str:
    """Every string the run put on screen (markdown, titles, captions, alerts, tables, labels)."""
    parts = [str(getattr(e, "value", "")) + " " + str(getattr(e, "label", "")) for e in at.main]
    parts += [e.value.to_csv() for e in at.dataframe]
    return " ".join(parts) + " " + str([node.proto for node in at.main])


@pytest.mark.slow  # trains a model first
def test_valid_link_shows_the_report_read_only(ws, trained_project):
    token, _ = sharing.create_share(ws, trained_project["id"], "board")
    ws.create_project(SECRET_NAME)
    at = _app({"share": token})
    assert_clean(at)
    assert at.title[0].value == "Churn"
    assert [s.value for s in at.subheader][:3] == ["Data: customer_churn (sample)", "Key charts", "Leaderboard"]
    assert any(s.value.startswith("Evaluation of the champion") for s in at.subheader)
    assert len(at.get("plotly_chart")) >= 5 and len(at.dataframe) == 2
    assert "## Metrics" in at.expander[0].markdown[0].value  # the model card
    # nothing that changes anything, nothing that leads elsewhere
    assert not at.button and not at.text_input and not at.selectbox and not at.checkbox and not at.number_input
    assert [b.label for b in at.get("download_button")] == ["Download this report (.html)"]
    assert not at.sidebar.children and SECRET_NAME not in _texts(at)
    assert "project_id" not in at.session_state  # no project was opened in the app's sense
    assert sharing.list_shares(ws, trained_project["id"])[0]["opens"] == 1
    at.run()
    assert sharing.list_shares(ws, trained_project["id"])[0]["opens"] == 1  # one opening per session


@pytest.mark.parametrize("token", ["wrong", "", "revoked", "expired"])
def test_bad_link_shows_nothing_of_any_project(ws, token):
    project = ws.create_project(SECRET_NAME)
    if token in ("revoked", "expired"):
        real, record = sharing.create_share(ws, project["id"], "x", expires_in_days=1)
        if token == "revoked":
            sharing.revoke_share(ws, project["id"], record["id"])
        else:
            from storage.db import write_db

            with write_db(ws.db_path) as db:
                db.execute("UPDATE shares SET expires_at = '2000-01-01T00:00:00.000+00:00'")
        token = real
    at = _app({"share": token})
    assert_clean(at)
    assert [i.value for i in at.info] == [sharing.INVALID_LINK]
    assert len(at.main.children) <= 2 and not at.sidebar.children  # the hidden-sidebar style and the message
    assert "merger" not in _texts(at) and not at.title


def test_password_form_comes_first_and_share_links_skip_it(ws, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PASSWORD", "open sesame")
    monkeypatch.setattr(password, "FIRST_WAIT_SECONDS", 30.0)  # longer than a slow machine's page run
    project = ws.create_project("Churn")
    at = _app()
    assert_clean(at)
    assert at.title[0].value == "Workbench" and not at.sidebar.children
    at.text_input(key="password_entered").set_value("open sesam")
    at.button[0].click().run()
    assert at.error[0].value == "That password is not right. Try again."
    assert "password_ok" not in at.session_state
    at.text_input(key="password_entered").set_value("open sesame")
    at.button[0].click().run()  # straight after a wrong one: even the right password waits
    assert at.error[0].value == "Too many wrong passwords. Wait 30 s, then try again."
    assert "password_ok" not in at.session_state
    monkeypatch.setattr(password, "_failures", {})  # the wait is over
    at.button[0].click().run()
    assert_clean(at)
    assert at.title[0].value == "Start" and at.sidebar.selectbox[0].label == "Project"

    token, _ = sharing.create_share(ws, project["id"], "board")
    shared = _app({"share": token})
    assert_clean(shared)
    assert shared.title[0].value == "Churn" and not shared.text_input


def test_no_password_set_opens_the_app(ws, monkeypatch):
    monkeypatch.delenv("WORKBENCH_PASSWORD", raising=False)
    at = _app()
    assert_clean(at)
    assert at.title[0].value == "Start"  # the first screen: the road and a sample


@pytest.mark.slow  # trains a model first
def test_deploy_makes_shows_once_and_revokes_links(ws, trained_project):
    pid = trained_project["id"]
    at = open_page("deploy", pid)
    assert_clean(at)
    assert "Share with stakeholders" in [s.value for s in at.subheader]
    form_label = next(t for t in at.text_input if t.label.startswith("Label"))
    form_label.set_value("Board")
    next(c for c in at.checkbox if c.label.startswith("Let viewers try")).check()
    next(b for b in at.button if b.label == "Create share link").click().run()
    assert_clean(at)
    url = next(c.value for c in at.code if "?share=" in c.value)
    token = url.split("?share=")[1]
    [share] = sharing.list_shares(ws, pid)
    assert share["label"] == "Board" and share["allow_predict"] and share["token_sha256"] == sharing.token_sha256(token)
    at.run()
    assert not [c for c in at.code if "?share=" in c.value]  # shown once
    at.button(key=f"deploy_share_revoke_{share['id']}").click().run()
    assert_clean(at)
    assert sharing.list_shares(ws, pid)[0]["status"] == "revoked"
    assert f"deploy_share_revoke_{share['id']}" not in [b.key for b in at.button]
    at.button(key="deploy_share_build_html").click().run()
    assert "Download the report (.html)" in [b.label for b in at.get("download_button")]


@pytest.mark.slow  # trains a model first
def test_shared_prediction_form(ws, trained_project):
    token, _ = sharing.create_share(ws, trained_project["id"], "board", allow_predict=True)
    at = _app({"share": token})
    assert_clean(at)
    assert at.subheader[-1].value == "Try a prediction"
    assert [b.label for b in at.button] == ["Predict"]
    at.button[0].click().run()
    assert_clean(at)
    assert at.success[0].value.startswith("Prediction: **")
