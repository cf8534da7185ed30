"""The Monitor page in headless Chromium: upload a drifted file for a trained model, see what drifted and why.

The project and its model are made headlessly first (as a training job would); screenshots land in
test-artifacts/e2e/monitor/.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.samples import load_sample

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_drifted_upload_is_flagged_with_its_distribution(start_server, open_page, trained_churn, tmp_path):
    ws, project_id = trained_churn
    home = ws.home
    rows = load_sample("customer_churn").sample(400, random_state=5)
    flipped = np.random.default_rng(0).random(len(rows)) < 0.4  # the world changed: 40% of outcomes flipped
    labels = tmp_path / "june_labels.csv"
    pd.DataFrame({"customer_id": rows["customer_id"],
                  "churned": np.where(flipped, np.where(rows["churned"] == "yes", "no", "yes"), rows["churned"])}
                 ).to_csv(labels, index=False)
    drifted = tmp_path / "june_customers.csv"
    rows.assign(monthly_charges=rows["monthly_charges"] * 1.8 + 40,
                tenure_months=rows["tenure_months"] + 36).to_csv(drifted, index=False)

    server = start_server(home, "monitor.log")
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
    assert "Traceback" not in server.log_tail(10**7), f"the server logged an error; see {server.log_path}"
