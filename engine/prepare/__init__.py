"""Prepare: the recipe, and the one leak-free Pipeline it compiles to.

The recipe is plain data (``recipe``) made of steps from a catalogue (``steps``), proposed from the data
(``advice``). Row steps choose training rows (``rows``); column steps become fitted stages (``transformers``,
``cleaners``, ``features``, ``selection``, all on ``transformers.FrameTransformer``) that ``pipeline`` compiles
into one scikit-learn Pipeline taking raw columns. A new step type is one entry in ``steps.STEP_TYPES`` (see its
docstring) plus its transformer class. The split (``split``) and two advisors: which split to use
(``split_advisor``) and which columns leak the target (``leakage``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "recipe": ("DEFAULT_RECIPE", "excluded_columns", "validate_recipe"),
    "steps": ("KIND_LABELS", "STEP_TYPES", "Param", "StepType", "describe_step", "validate_step"),
    "advice": ("propose_recipe", "recipe_warnings"),
    "pipeline": ("build_pipeline", "build_preprocessor", "engine_types", "feature_columns"),
    "transformers": ("FrameTransformer", "numeric_frame"),
    "rows": ("apply_row_steps",),
    "split": ("Split", "split_rows"),
    "split_advisor": ("SplitAdvice", "advise_split"),
    "leakage": ("AuditResult", "LeakFinding", "audit_leakage"),
})
