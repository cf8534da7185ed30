"""The Monitor page in headless Chromium, as the issue's newcomer uses it: upload a drifted file for a deployed
model and see what drifted and why, upload late labels and see the decay, then retrain, compare the challenger
with the champion, promote it, and see the REST server that follows the champion answer with the new model.

The project and its model are made headlessly first (as a training job would); screenshots land in
test-artifacts/e2e/monitor/.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from engine.data.samples import load_sample
from tests.e2e.helpers import StreamlitPage, act_live, dataframe_rows
from usecases import servers

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _post(url: str, row: dict) -> dict:
    request = urllib.request.Request(f"{url}/predict", data=json.dumps(row).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _served_by(url: str, row: dict, model_id: int, timeout: float = 10.0) -> dict:
    """POST ``row`` until model ``model_id`` answers (the champion server re-checks the champion every second)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = _post(url, row)
        if answer["model_version"].startswith(f"{model_id}-") or time.monotonic() > deadline:
            assert answer["model_version"].startswith(f"{model_id}-"), answer
            return answer
        time.sleep(0.2)


def _serve_champion(st: StreamlitPage) -> str:
    """On Deploy: start the REST server that follows the champion; return its URL (from the curl it shows)."""
    st.nav("Deploy")
    box = st.main.locator('[data-testid="stExpander"]').filter(has_text="Serve the champion, whichever model it is")
    box.locator("summary").click()
    st.click("Serve the champion", scope=box, timeout=120)
    code = box.locator('[data-testid="stCode"]').filter(has_text="/predict")
    code.wait_for(timeout=60_000)
    st.assert_no_exception("champion served")
    return re.search(r"http://127\.0\.0\.1:\d+", code.inner_text())[0]


def test_drift_decay_retrain_promote_and_the_champion_server_follows(start_server, open_page, trained_churn,
                                                                     tmp_path):
    ws, project_id = trained_churn
    champion = ws.get_project(project_id)["champion_model_id"]
    rows = load_sample("customer_churn").sample(400, random_state=5)
    flipped = np.random.default_rng(0).random(len(rows)) < 0.4  # the world changed: 40% of outcomes flipped
    labels = tmp_path / "june_labels.csv"
    pd.DataFrame({"customer_id": rows["customer_id"],
                  "churned": np.where(flipped, np.where(rows["churned"] == "yes", "no", "yes"), rows["churned"])}
                 ).to_csv(labels, index=False)
    drifted = tmp_path / "june_customers.csv"
    rows = rows.assign(monthly_charges=rows["monthly_charges"] * 1.8 + 40, tenure_months=rows["tenure_months"] + 36)
    rows.to_csv(drifted, index=False)
    row = json.loads(rows.drop(columns="churned").iloc[[0]].to_json(orient="records"))[0]  # NaN as null

    server = start_server(ws.home, "monitor.log")
    st = open_page(server.url, "monitor")
    st.goto(f"/?project={project_id}")
    st.nav("Monitor")
    st.main.get_by_text("No new data for this model yet").wait_for()
    st.upload("Rows that arrived after training (same columns as the training data)", drifted)
    st.assert_no_exception("after upload")

    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Stored 'june_customers.csv'").wait_for()
    banner = st.main.locator('[data-testid="stAlertContentError"]').filter(has_text="features drifted")
    banner.wait_for()
    assert "Drift alert: 2 of 6 features drifted" in banner.inner_text()
    quality = st.main.locator('[data-testid="stAlertContentWarning"]').filter(has_text="monthly_charges")
    assert "training maximum" in quality.first.inner_text()
    charts = st.main.locator('[data-testid="stPlotlyChart"]')
    charts.filter(has_text="reference vs current").locator("svg.main-svg").first.wait_for()
    titles = charts.locator(".gtitle").all_text_contents()
    assert any(t.endswith(": reference vs current") and t.split(":")[0] in ("monthly_charges", "tenure_months")
               for t in titles), titles
    assert any(t.startswith("Drift over time") for t in titles), titles
    st.screenshot("01_monitor_drifted_upload")

    st.select("Distribution of", "plan")
    charts.filter(has_text="plan: reference vs current").wait_for()
    st.assert_no_exception("feature picked")

    # the true outcomes arrive: joined by customer_id, the score falls below validation
    st.upload("Labels file (key + target)", labels)
    st.main.locator('[data-testid="stAlertContentError"]').filter(has_text="Performance decayed in 1 window").wait_for()
    charts.filter(has_text="on late labels, per window").locator("svg.main-svg").first.wait_for()
    st.assert_no_exception("labels uploaded")
    st.screenshot("02_monitor_decay")
    st.click("Run checks now")
    opened = st.main.locator('[data-testid="stAlertContentError"]').filter(has_text="2 open alert(s)")
    opened.wait_for()
    st.sidebar.get_by_text("2 open monitor alerts").wait_for()
    st.act(st.main.get_by_role("button", name="Acknowledge", exact=True).first.click)
    st.main.locator('[data-testid="stAlertContentError"]').filter(has_text="1 open alert(s)").wait_for()
    st.assert_no_exception("alert acknowledged")
    st.screenshot("03_monitor_alerts")

    try:
        # the applications call one address, which answers with whichever model is the champion
        url = _serve_champion(st)
        assert _served_by(url, row, champion)["predictions"][0] in ("yes", "no")

        # retrain on the reference data and the labelled new rows; the job runs in the background
        st.nav("Monitor")
        section = st.main.get_by_role("heading", name="Retrain and promote")
        section.scroll_into_view_if_needed()
        radio = st.widget("stRadio", "Train on", st.main)
        option = radio.locator('[data-testid="stRadioOption"]').filter(
            has=st.page.get_by_role("radio", name="reference + new data"))
        st.act(option.click, grace=0.3)  # already the default: no rerun
        expect(radio.get_by_role("radio", name="reference + new data")).to_be_checked()
        act_live(st, st.main.get_by_role("button", name="Retrain", exact=True).click, timeout=60)
        st.assert_no_exception("retraining started")
        heading = st.main.get_by_text(re.compile(rf"^Champion #{champion} .+ vs challenger #\d+ "))
        heading.wait_for(timeout=240_000)  # the job (a process) finishes, the section reruns the app
        st.wait_idle(timeout=120)
        challenger = int(re.search(r"vs challenger #(\d+)", heading.inner_text())[1])
        assert challenger != champion
        assert st.main.get_by_text(re.compile(r"Retraining job \d+: succeeded")).count() == 1
        compare = st.main.locator('[data-testid="stDataFrame"]').filter(
            has=st.page.locator("th").filter(has_text=re.compile("^challenger 95%$")))
        compare.wait_for()
        verdicts = [row[-1] for row in dataframe_rows(compare)]
        assert len(verdicts) > 3 and set(verdicts) <= {"● challenger better", "● champion better",
                                                       "● not clearly different"}, verdicts
        st.assert_no_exception("challenger compared")
        st.screenshot("04_retrained_challenger")

        promote = st.main.get_by_role("button", name=re.compile(rf"^Promote challenger #{challenger} "))
        st.act(promote.click, timeout=60)
        dialog = st.page.locator('[role="dialog"]')  # a promotion asks for confirmation
        st.act(dialog.get_by_role("button", name=f"Promote #{challenger}", exact=True).click, timeout=60)
        st.main.get_by_role("button", name=re.compile(rf"^Roll back to the previous champion \(#{champion} "
                                                      )).wait_for()
        expect(promote).to_have_count(0)
        versions = st.main.locator('[data-testid="stDataFrame"]').filter(
            has=st.page.locator("th").filter(has_text=re.compile("^stage$")))
        st.main.locator('[data-testid="stAlertContentSuccess"]').filter(
            has_text=f"Promoted: #{challenger} Logistic / linear regression is the champion now").wait_for()
        stages = [(row[0], row[2]) for row in dataframe_rows(versions)]  # model_id, stage; newest first
        assert stages == [(str(challenger), "champion"), (str(champion), "archived")], stages
        assert ws.get_project(project_id)["champion_model_id"] == challenger
        st.assert_no_exception("challenger promoted")
        st.screenshot("05_promoted")

        # the same server, without a restart, now answers with the new champion
        assert _served_by(url, row, challenger)["predictions"][0] in ("yes", "no")
    finally:
        for running in servers.refresh_servers(ws, project_id):
            servers.stop_server(ws, running)
    assert "Traceback" not in server.log_tail(10**7), f"the server logged an error; see {server.log_path}"
