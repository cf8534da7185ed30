"""Monitor: is the deployed model still right?

Data drift of incoming rows against a compact reference profile of the training split: the profile and the
column readers (``drift_reference``), the table of drift statistics (``drift_statistics``), the verdicts and the
report (``drift``), drift per day, week or batch (``drift_windows``), drawn by ``drift_plots``. Performance decay
on late labels (``decay``, ``decay_plots``), and alert delivery to a webhook (``webhook``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "drift": ("DriftReport", "DriftThresholds", "drift_report", "features_by_drift"),
    "drift_reference": ("reference_profile",),
    "drift_statistics": ("STATISTICS", "DriftStatistic", "report_columns"),
    "drift_windows": ("windowed_drift",),
    "decay": ("DecayThresholds", "decay_report", "join_labels", "key_text"),
    "webhook": ("post_json", "check_webhook_url"),
})
