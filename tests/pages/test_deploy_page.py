"""Deploy page: the Download section offers joblib, skops, ONNX (or why not) and the model card."""

from __future__ import annotations

import pytest

from engine.deploy.export import OnnxExport
from tests.pages.helpers import assert_clean, open_page
from usecases import export

pytestmark = pytest.mark.slow  # each test trains a model first


def _labels(at) -> list[str]:
    return [b.label for b in at.get("download_button")]


def test_deploy_offers_every_format_with_a_checked_onnx_file(ws, trained_project):
    at = open_page("deploy", trained_project["id"])
    assert_clean(at)
    assert _labels(at) == ["Model (.joblib)", "Model (.skops, safe to load)", "Model (.onnx)", "Model card (.md)",
                           "Model card (.json)", "Runtime (.whl)", "Deployment bundle (.zip)"]  # ONNX: made in training
    checked = [c.value for c in at.caption if c.value.startswith("ONNX checked on")]
    assert checked and "the same classes" in checked[0] and "float64" in checked[0]
    assert "deploy_onnx" not in [b.key for b in at.button]  # the result is kept, not recomputed
    assert [t.label for t in at.tabs] == ["joblib", "skops", "ONNX"]
    install, _, skops_code = (c.value for c in at.code[:3])
    assert install.startswith("pip install ") and "workbench_runtime-" in install and ".whl" in install
    assert "engine.prepare.transformers.KindCaster" in skops_code


def test_deploy_says_why_a_model_does_not_convert(ws, trained_project, monkeypatch):
    reason = "Step 3 (Encode categories) (TargetEncoder) has no ONNX translation; use one-hot encoding."
    monkeypatch.setattr(export, "export_onnx", lambda *args: OnnxExport(None, None, reason, None))
    at = open_page("deploy", trained_project["id"])
    baseline = next(m["id"] for m in ws.list_models(trained_project["id"]) if m["family"] == "baseline")
    at.selectbox(key="deploy_model").select(baseline).run()
    at.button(key="deploy_onnx").click().run()
    assert_clean(at)
    assert at.warning[0].value == f"No ONNX file: {reason}"
    assert "Model (.onnx)" not in _labels(at)


def test_deploy_refuses_a_model_file_changed_outside_the_workbench(ws, trained_project):
    champion = trained_project["champion_model_id"]
    (ws.model_dir(champion) / "model.joblib").write_bytes(b"changed")
    at = open_page("deploy", trained_project["id"])
    assert_clean(at)
    assert "does not match its recorded sha256" in at.error[0].value
    assert not at.get("download_button")
    assert at.file_uploader  # scoring is still offered (and refuses the file the same way)


@pytest.mark.slow
def test_start_and_stop_the_rest_server_from_the_page(ws, trained_project, monkeypatch):
    from usecases import servers

    monkeypatch.delenv("WORKBENCH_API_TOKEN", raising=False)

    at = open_page("deploy", trained_project["id"])
    next(b for b in at.button if b.label == "Start REST server").click().run(timeout=120)
    assert_clean(at)
    running = servers.refresh_servers(ws, trained_project["id"])
    try:
        assert len(running) == 1
        assert [s.value for s in at.success if s.value.startswith(f"Serving model #{running[0]['model_id']}")]
        assert any(c.value.startswith(f"curl -s {servers.server_url(running[0])}/predict") for c in at.code)
        assert f"Open: anyone who reaches {servers.server_url(running[0])} can call it" in " ".join(
            c.value for c in at.caption)  # no WORKBENCH_API_TOKEN here: the page says the API is open
        next(b for b in at.button if b.label == "Stop the server").click().run()
        assert_clean(at)
        assert servers.refresh_servers(ws, trained_project["id"]) == []
        assert any(b.label == "Start REST server" for b in at.button)
    finally:
        for server in servers.refresh_servers(ws, trained_project["id"]):
            servers.stop_server(ws, server)


def test_a_regression_server_offers_prediction_intervals(ws):
    import json
    import urllib.request

    from engine import Problem
    from usecases import projects, servers
    from usecases.training import run_training_job

    pid = ws.create_project("Diabetes")["id"]
    projects.import_sample(ws, pid, "diabetes")
    projects.set_problem(ws, pid, Problem("progression", "regression", "rmse"))
    projects.save_settings(ws, pid, {"models": ["linear"], "cv_folds": 0})
    run_training_job(ws, ws.create_job(pid, "train")["id"])
    at = open_page("deploy", pid)
    next(b for b in at.button if b.label == "Start REST server").click().run(timeout=120)
    assert_clean(at)
    running = servers.refresh_servers(ws, pid)
    try:
        assert any("`?interval=0.9`" in c.value and "0.95 (covered" in c.value for c in at.caption)
        _, card = ws.load_model(running[0]["model_id"])
        row = json.dumps({f["name"]: 0.01 for f in card["features"]}).encode()
        request = urllib.request.Request(f"{servers.server_url(running[0])}/predict?interval=0.8", data=row,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
        half = card["prediction_intervals"][0]["half_width"]
        assert body["interval"]["lower"][0] == pytest.approx(body["predictions"][0] - half)
    finally:
        for server in running:
            servers.stop_server(ws, server)


def test_enter_in_the_share_form_creates_no_link(trained_project):
    at = open_page("deploy", trained_project["id"])
    assert_clean(at)
    forms = {form.proto.form.form_id: form.proto.form.enter_to_submit for form in at.get("form")}
    assert forms["deploy_share_form"] is False
