"""Workbench engine: the headless machine-learning library behind every page and command.

It never imports streamlit or the storage layer. Typical use:

>>> from engine import load_sample, infer_schema, propose_problem
>>> frame = load_sample("iris")
>>> kinds = {c.name: c.kind for c in infer_schema(frame)}
>>> propose_problem(frame["species"], kinds["species"], "species").task
'classification'
"""

from engine import legacy
from engine.data.io import LoadedTable, read_table
from engine.data.problem import TASKS, Problem, propose_problem, validate_problem
from engine.data.samples import SAMPLES, load_sample
from engine.data.schema import KINDS, ColumnInfo, apply_kinds, infer_schema, schema_from_dicts
from engine.deploy.predict import check_input, predict_frame
from engine.errors import (
    ColumnError,
    DataError,
    EmptyDataError,
    EncodingError,
    FileTooLargeError,
    MalformedFileError,
    ModelError,
    RecipeError,
    TargetError,
    TrainingError,
    WorkbenchError,
)
from engine.evaluate.metrics import METRICS, compute_metrics, metrics_for_task
from engine.prepare.leakage import AuditResult, LeakFinding, audit_leakage
from engine.prepare.pipeline import build_pipeline, build_preprocessor, feature_columns
from engine.prepare.recipe import DEFAULT_RECIPE, excluded_columns, validate_recipe
from engine.prepare.rows import apply_row_steps
from engine.prepare.split import Split, split_rows
from engine.prepare.split_advisor import SplitAdvice, advise_split
from engine.prepare.steps import STEP_TYPES, describe_step, validate_step
from engine.train.catalog import MODELS, model_label, models_for_task
from engine.train.training import (
    Candidate,
    TimeBudgetExceeded,
    TrainingData,
    TrainingFitter,
    balanced,
    best_candidate,
    cv_folds,
    evaluate,
    prepare_target,
    refit,
    train_candidates,
    training_data,
    validate_settings,
)
from engine.versions import library_versions

legacy.install()  # model files written before the stage packages name the old module paths

__all__ = [
    "DEFAULT_RECIPE",
    "KINDS",
    "METRICS",
    "MODELS",
    "SAMPLES",
    "STEP_TYPES",
    "TASKS",
    "AuditResult",
    "Candidate",
    "ColumnError",
    "ColumnInfo",
    "DataError",
    "EmptyDataError",
    "EncodingError",
    "FileTooLargeError",
    "LeakFinding",
    "LoadedTable",
    "MalformedFileError",
    "ModelError",
    "Problem",
    "RecipeError",
    "Split",
    "SplitAdvice",
    "TargetError",
    "TimeBudgetExceeded",
    "TrainingError",
    "TrainingData",
    "TrainingFitter",
    "WorkbenchError",
    "advise_split",
    "apply_kinds",
    "apply_row_steps",
    "audit_leakage",
    "balanced",
    "best_candidate",
    "build_pipeline",
    "build_preprocessor",
    "check_input",
    "compute_metrics",
    "cv_folds",
    "describe_step",
    "evaluate",
    "excluded_columns",
    "feature_columns",
    "infer_schema",
    "library_versions",
    "load_sample",
    "metrics_for_task",
    "model_label",
    "models_for_task",
    "predict_frame",
    "prepare_target",
    "propose_problem",
    "read_table",
    "refit",
    "schema_from_dicts",
    "split_rows",
    "train_candidates",
    "training_data",
    "validate_problem",
    "validate_recipe",
    "validate_settings",
    "validate_step",
]
