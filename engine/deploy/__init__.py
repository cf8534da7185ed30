"""Deploy: the model leaves the workbench.

Score rows (``predict``), write model files and the model card (``export``; ONNX through ``onnx_converters`` and
``onnx_feeds``), serve a REST API (``serving``), build a deployment bundle (``bundle``) and the read-only project
report behind share links (``project_report``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "predict": ("check_input", "predict_frame", "probability_frame"),
    "export": ("dumps_skops", "loads_skops", "export_onnx", "model_card_markdown"),
    "serving": ("create_app", "pipeline_predictor", "onnx_predictor"),
    "project_report": ("ProjectReport", "project_html"),
})
