"""Train: fit model families, tune them with Optuna, or let AutoML search them all.

The catalogue of families and their search spaces (``catalog``, ``families``), cross-validated training under a
time budget (``training``), Optuna studies (``tuning``) and what they show an analyst (``tuning_report``), the
AutoML search across families with its ensemble (``automl``; greedy selection on out-of-fold predictions in
``ensemble``), and the AutoML policy that the command line and the Train page share: which families, which
search, how a time budget is spent (``policy``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "catalog": ("MODELS", "ModelFamily", "model_label", "models_for_task"),
    "training": ("Candidate", "TrainingData", "TrainingFitter", "TimeBudgetExceeded", "train_candidates",
                 "training_data", "refit", "evaluate", "best_candidate", "validate_settings"),
    "tuning": ("TuningSpec", "create_study", "run_study"),
    "automl": ("tune_candidates", "tuning_spec", "voting_pipeline"),
    "policy": ("AUTOML_FAMILIES", "AUTOML_SEARCH", "CV_MIN_BUDGET", "automl_settings", "post_search_estimate",
               "budget_settings", "selection_budget"),
})
