"""Deploy: download a trained model (joblib, skops, ONNX) with its model card, and score a file in the browser."""

from __future__ import annotations

import json

import streamlit as st

from pages import ui
from pages.sections import deploy_bundle, deploy_scoring, deploy_server, deploy_share
from usecases import export, runtime

st.title("Deploy")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]
model_id = ui.pick_trained_model(ws, project, "deploy_model", "No trained models yet. Train some on the "
                                  "**Train** page.",
                                  champion_for="the REST server that follows the champion and the shared report")
stem = f"{project['name']}-model-{model_id}".replace(" ", "_")

st.subheader("Download")
card = None
with ui.user_errors():
    card = export.card_json(ws, model_id)
    features = [f["name"] for f in card["features"]]
    wrapped = (f" (the stored pipeline, sha256 `{card['pipeline_sha256'][:16]}…`, wrapped to decide at the saved "
               "threshold)" if card.get("pipeline_sha256") else "")
    st.caption(f"One scikit-learn Pipeline (preprocessing + {card['estimator']}) that takes the raw columns: "
               f"{', '.join(features[:12])}{' …' if len(features) > 12 else ''}. The .joblib file's sha256 is "
               f"`{card['sha256'][:16]}…`{wrapped}, checked against the workspace record before every download; "
               "the model card gives it in full.")
    with st.spinner("Writing the skops file…"):
        skops = export.skops_export(ws, model_id)
    onnx = export.onnx_status(ws, model_id)
    buttons = st.container(horizontal=True)
    ui.download_button(buttons, "Model (.joblib)", export.joblib_download(ws, model_id), file_name=f"{stem}.joblib",
                       mime="application/octet-stream", type="primary", key="deploy_download_model")
    if skops.data is not None:
        ui.download_button(buttons, "Model (.skops, safe to load)", skops.data, file_name=f"{stem}.skops",
                           mime="application/octet-stream", key="deploy_download_skops")
    if onnx is not None and onnx.data is not None:
        ui.download_button(buttons, "Model (.onnx)", onnx.data, file_name=f"{stem}.onnx",
                           mime="application/octet-stream", key="deploy_download_onnx")
    elif onnx is None and buttons.button("Convert to ONNX and check it", key="deploy_onnx",
                                         help="Converted once, then compared with scikit-learn on the validation rows"):
        with st.spinner("Converting to ONNX and comparing predictions on the validation rows…"):
            export.onnx_export(ws, model_id)
        st.rerun()
    # built on click: it reads the runtime wheel and the card again, work every rerun would repeat for nothing
    ui.download_button(buttons, "Model card (.md)", lambda: runtime.card_markdown(ws, model_id),
                       file_name=f"{stem}-card.md", mime="text/markdown", key="deploy_download_card_md")
    ui.download_button(buttons, "Model card (.json)", json.dumps(card, indent=2, default=str),
                       file_name=f"{stem}-card.json", mime="application/json", key="deploy_download_card")
    with st.spinner("Building the runtime wheel…"):
        wheel = runtime.runtime_wheel(ws, model_id)
    ui.download_button(buttons, "Runtime (.whl)", wheel.data, file_name=wheel.filename,  # pip needs its own name
                       mime="application/zip", key="deploy_download_runtime",
                       help="The workbench code the model files name (import name engine): install it with the "
                            "pinned packages to load them without the workbench (see How to load)")
    deploy_bundle.bundle_button(buttons, ws, model_id)
    if skops.data is None:
        st.warning(f"No skops file: {skops.info['reason']}", icon=":material/warning:")
    if onnx is not None and onnx.data is None:
        st.warning(f"No ONNX file: {onnx.info['reason']}", icon=":material/warning:")
    elif onnx is not None:
        info = onnx.info
        labels = "the same classes, " if info["labels_equal"] else ""
        st.caption(f"ONNX checked on {info['rows']:,} validation rows: {labels}largest difference "
                   f"{info['max_diff']:.2g} (relative; tolerance {info['tolerance']:g}); the model runs in "
                   f"{'float64' if info['model_dtype'] == 'double' else 'float32'}.")
    if card["decision_threshold"] is not None:
        st.caption(f"Decision threshold {card['decision_threshold']:g} (set on Evaluate): the joblib and skops "
                   "files decide at it (a FixedThresholdClassifier around the pipeline), as scoring here and the "
                   "REST server do; the ONNX file gives the probabilities, so apply the threshold to the positive "
                   "class's probability yourself.")

    with st.expander("How to load these files"):
        st.caption("In a fresh virtual environment (Python 3.11 or newer), next to the downloaded files:")
        st.code(runtime.install_command(wheel, skops=skops.data is not None), language="bash")
        joblib_tab, skops_tab, onnx_tab = st.tabs(["joblib", "skops", "ONNX"])
        joblib_tab.code(f"import joblib, pandas as pd\nmodel = joblib.load('{stem}.joblib')  # runs code: only "
                        "files you trust\nrows = pd.read_csv('new_rows.csv')\nprint(model.predict(rows))",
                        language="python")
        trusted = (skops.info.get("trusted_types") or [])
        skops_tab.code("import skops.io as sio\n"
                       f"trusted = {json.dumps(trusted, indent=4)}  # the workbench's own and scikit-learn types\n"
                       f"assert sorted(sio.get_untrusted_types(file='{stem}.skops')) == sorted(trusted)\n"
                       f"model = sio.load('{stem}.skops', trusted=trusted)  # workbench types: the runtime wheel\n"
                       "print(model.predict(rows))", language="python")
        onnx_tab.code("# pip install onnxruntime numpy pandas (no runtime wheel needed)\n"
                      "import numpy as np, onnxruntime as ort\n"
                      f"session = ort.InferenceSession('{stem}.onnx')\n"
                      "# one [N, 1] input per column: numbers (booleans 0/1) as float64 with NaN for gaps, dates as\n"
                      "# float64 seconds since 1970-01-01, categories and text as str with '' for gaps (see the card)\n"
                      "feeds = {i.name: (rows[[i.name]].fillna('').astype(str).to_numpy(object)\n"
                      "                  if i.type == 'tensor(string)' else rows[[i.name]].to_numpy('float64'))\n"
                      "         for i in session.get_inputs()}\n"
                      "outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))\n"
                      "print(outputs)  # label + probabilities, or prediction", language="python")

if card is None:  # the model's files failed their check: the message above says so
    st.stop()
with ui.user_errors():
    deploy_server.server_section(ws, pid, model_id, card)

deploy_scoring.scoring_section(ws, model_id, card)

deploy_share.share_section(ws, project)
