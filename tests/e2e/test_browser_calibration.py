"""Issue 15, item 8 in a browser: a run's over-confident winner is calibrated, and Evaluate shows its reliability
diagram and its log loss against the class shares. Screenshots land in test-artifacts/e2e/calibration/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine import Problem
from storage import Workspace, read_card
from tests.e2e.helpers import act_live
from tests.noisy_classes import noisy_three_classes
from usecases import evaluation, projects

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def noisy_project(tmp_path):
    """A workspace with 600 noisy rows of three classes, selected by F1, extra trees on 3 folds; no job yet."""
    ws = Workspace(tmp_path / "home")
    pid = ws.create_project("Noisy classes")["id"]
    projects.import_file(ws, pid, noisy_three_classes(600).to_csv(index=False).encode(), "noisy.csv")
    projects.set_problem(ws, pid, Problem("label", "classification", "f1_macro"))
    projects.save_settings(ws, pid, {"models": ["extra_trees"], "cv_folds": 3})
    return ws, pid


def test_item_8_evaluate_shows_the_calibration_of_the_winner(start_server, open_page, noisy_project):
    ws, pid = noisy_project
    st = open_page(start_server(ws.home, "calibration.log").url, "calibration")
    st.goto(f"/?project={pid}")
    st.nav("Train")
    act_live(st, st.main.get_by_role("button", name="Start training", exact=True).click)
    st.main.get_by_text("See the results on Evaluate").wait_for(timeout=180_000)
    st.wait_idle()
    expect(st.main.locator('[data-testid="stProgress"]')).to_contain_text(re.compile(r"Job \d+: succeeded"))
    st.assert_no_exception("train")

    st.nav("Evaluate")
    st.main.get_by_role("heading", name="Calibration").wait_for()
    winner = evaluation.proposed_champion(ws, pid).model_id  # the run's best, proposed as the champion
    check = read_card(ws.model_dir(winner))["calibration"]
    assert check["applied"]
    expect(st.main.get_by_text(re.compile(r"Log loss on the validation rows \d\.\d{4}, against \d\.\d{4} for the "
                                          r"class shares: \d+% better than predicting the class shares of the "
                                          r"training rows\."))).to_be_visible()
    expect(st.main.get_by_text(f"Training's check (out-of-fold predictions over 3 folds): Calibrated with "
                               f"{'isotonic regression' if check['method'] == 'isotonic' else 'sigmoid'}",
                               exact=False)).to_be_visible()
    chart = st.main.locator('[data-testid="stPlotlyChart"]').filter(
        has=st.page.locator("text.gtitle", has_text="Reliability of P(predicted class)"))
    expect(chart).to_have_count(1)
    chart.locator("svg.main-svg").first.wait_for()
    st.assert_no_exception("evaluate calibration")
    chart.scroll_into_view_if_needed()
    st.screenshot("item_8_reliability", until=chart)
