"""Deploy: download a trained model as one scikit-learn Pipeline, and score a file in the browser."""

from __future__ import annotations

import json

import streamlit as st

from engine import model_label
from engine.io import SUPPORTED_EXTENSIONS
from pages import ui
from usecases import evaluation, scoring

st.title("Deploy")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]
board = evaluation.leaderboard(ws, pid)
trained = board[board["status"] == "ok"] if not board.empty else board
if trained.empty:
    st.info("No trained models yet. Train some on the **Train** page.")
    st.stop()

ids = trained["model_id"].tolist()
champion = project["champion_model_id"]
names = trained.set_index("model_id")["model"].map(model_label)
model_id = st.selectbox("Model", ids, index=ids.index(champion) if champion in ids else 0,
                        format_func=lambda i: f"#{i} {names[i]}" + (" (champion)" if i == champion else ""),
                        key="deploy_model")
folder = ws.model_dir(model_id)
card = json.loads((folder / "model.json").read_text())
card["decision_threshold"] = evaluation.model_threshold(ws, model_id)  # set on Evaluate after training

st.subheader("Download")
buttons = st.container(horizontal=True)
buttons.download_button("Download model (.joblib)", (folder / "model.joblib").read_bytes(),
                  file_name=f"{project['name']}-model-{model_id}.joblib".replace(" ", "_"),
                  mime="application/octet-stream", type="primary", key="deploy_download_model")
buttons.download_button("Download model card (.json)", json.dumps(card, indent=2), file_name=f"model-{model_id}.json",
                  mime="application/json", key="deploy_download_card")
features = [f["name"] for f in card["features"]]
st.caption(f"One scikit-learn Pipeline (preprocessing + {card['estimator']}) that takes the raw columns: "
           f"{', '.join(features[:12])}{' …' if len(features) > 12 else ''}. sha256 `{card['sha256'][:16]}…`")
st.code("import joblib, pandas as pd\nmodel = joblib.load('model.joblib')  # only load files you trust\n"
        "rows = pd.read_csv('new_rows.csv')\nprint(model.predict(rows))", language="python")

st.subheader("Score a file")
upload = st.file_uploader("Rows to score (same columns as the training data; the target may be absent)",
                          type=list(SUPPORTED_EXTENSIONS), key="deploy_score_upload")
if upload is not None:
    with ui.user_errors():
        scored, notes = scoring.score_upload(ws, model_id, upload.getvalue(), upload.name)
        ui.show_notes(notes)
        st.success(f"Scored {len(scored):,} rows.")
        st.dataframe(scored.head(500), width="stretch", height=260)
        st.download_button("Download predictions (.csv)", scored.to_csv(index=False).encode(),
                           file_name=f"predictions-{model_id}.csv", mime="text/csv", key="deploy_download_preds")
