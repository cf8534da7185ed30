"""Deploy page piece: the deployment bundle download (model, serve.py, pinned requirements, Dockerfile, README)."""

from __future__ import annotations

from pages import ui
from usecases import bundle


def bundle_button(container, ws, model_id: int) -> None:
    """A download button whose zip is built only when clicked (it re-reads and checks the model files)."""
    ui.download_button(
        container, "Deployment bundle (.zip)", lambda: bundle.bundle_bytes(ws, model_id),
        file_name=bundle.bundle_name(ws, model_id), mime="application/zip", key="deploy_download_bundle",
        icon=":material/deployed_code:",
        help="The model files and card, serve.py (FastAPI), a pinned requirements.txt, a Dockerfile and a README: "
             "serves the model on any machine with Python 3.11, without the workbench")
