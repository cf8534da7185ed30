"""Why a model predicted what it did for a few of its validation rows (the Evaluate page's Explain tab).

Permutation importance, partial dependence and the learning curve are in ``usecases.evaluation``.
"""

from __future__ import annotations

from engine.evaluate.explain import RowExplanation, explain_rows, spread_rows
from storage import Workspace
from usecases.evaluation import model_rows

__all__ = ["validation_row_explanations"]


def validation_row_explanations(ws: Workspace, model_id: int, columns: list[str] | None = None,
                                n_rows: int = 5) -> list[RowExplanation]:
    """``n_rows`` validation rows whose predictions span the model's range (lowest first), each with the effect of
    each of ``columns`` (all input columns when None) on its prediction; ``row`` is the position among the
    validation rows."""
    m = model_rows(ws, model_id)
    X, y = m.X.iloc[m.valid], m.y.iloc[m.valid]
    rows = spread_rows(m.pipeline, X, m.problem.task, n_rows)
    return explain_rows(m.pipeline, X, rows, m.problem.task, y=y, columns=columns)
