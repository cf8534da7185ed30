"""Deploy: the model leaves the workbench.

Score rows (``predict``) or a file of any size in chunks (``batch``), write model files and the model card
(``export``; ONNX through ``onnx_converters`` and ``onnx_feeds``), the runtime wheel a downloaded file needs to load
anywhere (``runtime``), serve a REST API (``serving``), build a deployment bundle (``bundle``) and the read-only
project report behind share links (``project_report``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "predict": ("check_input", "predict_frame", "probability_frame"),
    "batch": ("ScoredFile", "score_file"),
    "export": ("dumps_skops", "loads_skops", "export_onnx", "model_card_markdown"),
    "runtime": ("RuntimeWheel", "build_wheel", "install_command"),
    "serving": ("create_app", "pipeline_predictor", "onnx_predictor", "curl_command"),
    "project_report": ("ProjectReport", "project_html"),
})
