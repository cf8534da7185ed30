"""Share links in real browsers: the owner makes a link on Deploy; a second browser context opens it and sees the
project's report read-only (no sidebar pages, no edit controls, nothing of other projects); a wrong token shows
nothing of any project.

The project is trained in-process first (the training path has its own browser test). Screenshots land in
test-artifacts/e2e/share/.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from storage import Workspace
from tests.champion import confirm_champion
from usecases import projects, sharing
from usecases.training import run_training_job

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OTHER = "Other secret project"
EDIT_CONTROLS = ", ".join(f'[data-testid="{t}"]' for t in (
    "stButton", "stFormSubmitButton", "stTextInput", "stNumberInput", "stSelectbox", "stMultiSelect", "stCheckbox",
    "stFileUploader", "stSidebarNavLink", "stTextArea", "stRadio", "stSlider"))


@pytest.fixture
def trained_home(tmp_path):
    home = tmp_path / "home"
    ws = Workspace(home)
    project = ws.create_project("Churn")
    projects.import_sample(ws, project["id"], "customer_churn")
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 2})
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    confirm_champion(ws, project["id"])
    ws.create_project(OTHER)
    return ws, project["id"]


def test_owner_shares_and_a_stakeholder_opens_read_only(start_server, open_page, trained_home):
    ws, pid = trained_home
    server = start_server(ws.home, "share.log")

    owner = open_page(server.url, "share")
    owner.goto(f"/deploy?project={pid}")
    owner.main.get_by_role("heading", name="Share with stakeholders").wait_for(timeout=60_000)
    owner.main.get_by_label("Label (who the link is for)", exact=True).fill("Board")
    owner.click("Create share link", timeout=60)
    link = owner.main.locator('[data-testid="stCode"]').filter(has_text="?share=").inner_text().strip()
    owner.assert_no_exception("share created")
    owner.screenshot("01_owner_created_link")
    assert link.startswith(server.url.rstrip("/") + "/?share=")
    [share] = sharing.list_shares(ws, pid)
    assert share["label"] == "Board" and share["token_sha256"] == sharing.token_sha256(link.split("?share=")[1])

    visitor = open_page(server.url, "share")  # a second browser context: no session, no password, no project
    url = urlparse(link)
    visitor.goto(f"{url.path}?{url.query}")
    visitor.main.get_by_role("heading", name="Churn", exact=True).wait_for(timeout=60_000)
    for heading in ("Key charts", "Leaderboard"):
        visitor.main.get_by_role("heading", name=heading).wait_for()
    visitor.main.get_by_role("heading", name="Evaluation of the champion").first.wait_for()
    visitor.assert_no_exception("shared report")
    assert visitor.page.locator('[data-testid="stPlotlyChart"]').count() >= 5
    assert visitor.page.locator(EDIT_CONTROLS).count() == 0
    assert not visitor.sidebar.is_visible()
    assert visitor.page.get_by_role("button", name="Download this report (.html)").count() == 1
    assert OTHER not in visitor.page.content()
    visitor.screenshot("02_visitor_report")
    assert sharing.list_shares(ws, pid)[0]["opens"] == 1

    stranger = open_page(server.url, "share")
    stranger.goto("/?share=" + "x" * 43)
    stranger.main.get_by_text(sharing.INVALID_LINK).wait_for()
    body = stranger.page.inner_text("body")
    assert "Churn" not in body and OTHER not in body
    assert stranger.page.locator(EDIT_CONTROLS).count() == 0
    stranger.screenshot("03_wrong_token")

    sharing.revoke_share(ws, pid, share["id"])
    visitor.goto(f"{url.path}?{url.query}")
    visitor.main.get_by_text(sharing.INVALID_LINK).wait_for()
    assert "Churn" not in visitor.page.inner_text("body")
    assert "Traceback" not in server.log_tail(10**7), f"the server logged an error; see {server.log_path}"
