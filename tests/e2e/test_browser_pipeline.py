"""The whole workbench in headless Chromium, as a user drives it: project → data → prepare → train → evaluate → deploy.

Screenshots of every stage land in test-artifacts/e2e/pipeline/. With WORKBENCH_SCREENSHOT=docs/screenshot.png the
Evaluate page is also saved there (the README picture).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request

import joblib
import pandas as pd
import pytest

from tests.e2e.helpers import ROOT, TARGET, create_project, load_data_and_pick_target, train_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_project_to_deployed_model(app_server, open_page, churn_csv, artifacts, tmp_path):
    st = open_page(app_server.url, "pipeline")
    st.goto("/")
    st.main.get_by_text("Create or open a project in the sidebar to start.").wait_for()
    st.assert_no_exception("start")
    st.screenshot("01_start")

    create_project(st, "Churn e2e")
    st.main.get_by_text("No data yet").wait_for()
    st.assert_no_exception("project created")
    st.screenshot("02_project_created")

    raw = pd.read_csv(churn_csv)
    load_data_and_pick_target(st, churn_csv, len(raw))
    st.assert_no_exception("data")
    st.screenshot("03_data_target")

    st.nav("Prepare")
    st.main.get_by_text("1. Date parts").wait_for()  # the recipe proposed from the data
    st.page.get_by_role("tab", name="Preview").click()
    st.main.get_by_text(re.compile(r"raw columns → \d+ model inputs")).wait_for()
    st.assert_no_exception("prepare")
    st.screenshot("04_prepare")

    st.nav("Train")
    train_and_wait(st, folds=2)  # every default family, but 2 folds instead of 5: the same path, a third of the work
    st.screenshot("05_train_done")

    st.nav("Evaluate")
    st.main.get_by_role("heading", name="Leaderboard").wait_for()
    st.main.locator('[data-testid="stDataFrame"]').first.wait_for()
    st.main.locator('[data-testid="stPlotlyChart"] svg.main-svg').first.wait_for()
    assert st.main.locator('[data-testid="stPlotlyChart"]').count() >= 2  # model scores and the confusion matrix
    st.assert_no_exception("evaluate")
    st.screenshot("06_evaluate")
    if os.environ.get("WORKBENCH_SCREENSHOT"):
        chart = st.main.locator('[data-testid="stPlotlyChart"]').first  # the picture ends below the scores chart
        st.screenshot("readme", path=ROOT / os.environ["WORKBENCH_SCREENSHOT"], until=chart)

    st.nav("Deploy")
    button = st.main.locator('[data-testid="stDownloadButton"]').get_by_role(
        "button", name="Model (.joblib)", exact=True)
    with st.page.expect_download() as download:
        st.act(button.click, grace=1.0)
    saved = artifacts / "downloads" / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".joblib") and saved.stat().st_size > 1000

    rows = raw.drop(columns=[TARGET]).sample(40, random_state=0)
    model = joblib.load(saved)  # our own artifact, just written by the app under test
    predictions = model.predict(rows)
    assert len(predictions) == len(rows)
    assert set(map(str, predictions)) <= set(raw[TARGET].astype(str))

    to_score = tmp_path / "to_score.csv"
    rows.to_csv(to_score, index=False)
    st.upload(re.compile(r"^Rows to score"), to_score)
    st.main.get_by_text(f"Scored {len(rows)} rows.").wait_for()
    st.assert_no_exception("deploy")
    st.screenshot("07_deploy_scored")

    st.act(st.main.get_by_role("button", name="Start REST server").click, grace=1.0)
    serving = st.main.get_by_text(re.compile(r"^Serving model #\d+ at http://127\.0\.0\.1:\d+"))
    serving.wait_for(timeout=90_000)
    url = re.search(r"http://127\.0\.0\.1:\d+", serving.inner_text()).group(0)
    body = json.dumps(rows.head(3).astype(object).where(rows.head(3).notna(), None).to_dict("records")).encode()
    request = urllib.request.Request(f"{url}/predict", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        served = json.loads(response.read())
    assert served["predictions"] == [str(p) if isinstance(p, str) else p for p in predictions[:3].tolist()]
    st.screenshot("08_deploy_serving")
    st.act(st.main.get_by_role("button", name="Stop the server").click, grace=1.0)
    st.main.get_by_role("button", name="Start REST server").wait_for()
    assert "Traceback" not in app_server.log_tail(10**7), "the server logged an error; see test-artifacts/e2e/"
