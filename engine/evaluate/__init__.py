"""Evaluate: how good a model is, and why.

Metrics with their intervals (``metrics``), the validation-prediction charts (``plots``), explanations through the
raw columns (``explain``), paired comparison of two models (``comparison``), split-conformal prediction intervals
(``conformal``), replaying a model from its stored inputs (``replay``) and what changed between two runs
(``run_diff``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "metrics": ("METRICS", "Metric", "compute_metrics", "metrics_for_task"),
    "comparison": ("compare_predictions", "paired_difference"),
    "conformal": ("PredictionInterval", "conformal_interval"),
    "explain": ("importance_table", "partial_dependence_info", "learning_curve_info"),
    "replay": ("ReplayCheck", "replay_model", "compare_replay"),
    "run_diff": ("diff_runs",),
})
