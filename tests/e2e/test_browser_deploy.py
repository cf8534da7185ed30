"""Deploy in headless Chromium, as the issue's newcomer does it: download the model in every format and the
deployment bundle, start the REST server from the page and score with the curl command it shows, serve the
champion, stop. Screenshots land in test-artifacts/e2e/deploy/.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import act_live
from usecases import servers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOWNLOADS = ("Model (.joblib)", "Model (.skops, safe to load)", "Model card (.md)", "Model card (.json)")


def _download(st, name: str, tmp_path):
    with st.page.expect_download(timeout=120_000) as info:
        st.main.get_by_role("button", name=name, exact=True).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_download_every_format_serve_and_score_with_curl(start_server, open_page, trained_churn, tmp_path):
    ws, pid = trained_churn
    model_id = ws.get_project(pid)["champion_model_id"]
    server = start_server(ws.home, "deploy.log")
    st = open_page(server.url, "deploy")
    st.goto(f"/deploy?project={pid}")
    st.main.get_by_role("heading", name="Download").wait_for(timeout=60_000)

    files = {name: _download(st, name, tmp_path) for name in DOWNLOADS}
    card = json.loads(files["Model card (.json)"].read_text())
    assert hashlib.sha256(files["Model (.joblib)"].read_bytes()).hexdigest() == card["sha256"]
    assert files["Model (.skops, safe to load)"].stat().st_size > 1000
    assert card["target"] in files["Model card (.md)"].read_text()
    onnx = _download(st, "Model (.onnx)", tmp_path)  # made while training: the champion needs no click
    assert onnx.suffix == ".onnx" and onnx.stat().st_size > 100
    bundle = _download(st, "Deployment bundle (.zip)", tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        names = {name.split("/")[-1] for name in archive.namelist()}
    assert {"model.joblib", "serve.py", "requirements.txt", "Dockerfile", "README.md"} <= names
    st.assert_no_exception("downloads")
    st.screenshot("01_downloads")

    st.click("Start REST server", timeout=120)
    code = st.main.locator('[data-testid="stCode"]').filter(has_text="/predict").first
    code.wait_for(timeout=60_000)
    command = code.inner_text().strip()
    assert command.startswith("curl -s http://127.0.0.1:")
    st.screenshot("02_server_running")
    if shutil.which("curl"):  # exactly what the analyst pastes into a terminal
        answer = json.loads(subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60,
                                           check=True).stdout)
        assert answer["predictions"][0] in ("yes", "no")
        assert answer["model_version"].startswith(f"{model_id}-")
    st.click("Stop the server", timeout=60)
    st.main.get_by_role("button", name="Start REST server").wait_for(timeout=60_000)
    assert servers.refresh_servers(ws, pid) == []
    st.assert_no_exception("server stopped")
    assert "Traceback" not in server.log_tail(10**7), f"the server logged an error; see {server.log_path}"


def test_a_big_file_is_scored_in_the_background_with_a_progress_bar(start_server, open_page, trained_churn,
                                                                    tmp_path, monkeypatch):
    """Issue 18: a file over the inline limit is scored by a background job in chunks; the page shows its progress,
    then the rows, and the download holds every row with the prediction the model gives it."""
    from engine import load_sample, predict_frame, read_table

    ws, pid = trained_churn
    model_id = ws.get_project(pid)["champion_model_id"]
    monkeypatch.setenv("WORKBENCH_SCORE_INLINE_MB", "0.05")  # the 1,500-row file (~150 kB) goes to a job
    server = start_server(ws.home, "deploy_big.log")
    st = open_page(server.url, "deploy")
    st.goto(f"/deploy?project={pid}")
    st.main.get_by_role("heading", name="Score a file").wait_for(timeout=60_000)
    rows = load_sample("customer_churn").drop(columns="churned")
    source = tmp_path / "big.csv"
    rows.to_csv(source, index=False)
    uploader = st.main.locator('[data-testid="stFileUploader"]').filter(has_text="Rows to score")
    act_live(st, lambda: uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(source))
    progress = st.main.locator('[data-testid="stProgress"]')
    expect(progress).to_contain_text(re.compile(r"Scoring \d+: "), timeout=30_000)
    job = next(j for j in ws.list_jobs(pid) if j["kind"] == "score")
    assert job["pid"], "the scoring ran in the page, not in a background job"
    st.main.get_by_text("Scored 1,500 rows.").wait_for(timeout=120_000)
    expect(progress).to_contain_text("succeeded — Scored 1,500 rows")
    st.wait_idle()
    st.assert_no_exception("background scoring")
    st.screenshot("03_big_file_scored")

    downloaded = _download(st, "Download predictions (.csv)", tmp_path)
    written = pd.read_csv(downloaded)
    pipeline, card = ws.load_model(model_id)
    expected = predict_frame(pipeline, read_table(source).frame, card["features"], card["task"])
    assert len(written) == 1500 and written["customer_id"].tolist() == rows["customer_id"].tolist()
    assert written["prediction"].tolist() == expected["prediction"].tolist()
