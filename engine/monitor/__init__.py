"""Monitor: is the deployed model still right?

Data drift of incoming rows against a compact reference profile of the training split (``drift``, drawn by
``drift_plots``), performance decay on late labels (``decay``, ``decay_plots``), and alert delivery to a webhook
(``webhook``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "drift": ("STATISTICS", "DriftReport", "DriftStatistic", "DriftThresholds", "drift_report", "features_by_drift",
              "reference_profile",
              "report_columns", "windowed_drift"),
    "decay": ("DecayThresholds", "decay_report", "join_labels", "key_text"),
    "webhook": ("post_json", "check_webhook_url"),
})
