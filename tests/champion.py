"""The analyst's confirmation of a champion, for test set-ups: no training run chooses one by itself, so a test
that needs a champion clicks, in effect, Evaluate's "Make champion" button (the same use-case calls)."""

from __future__ import annotations

from usecases import evaluation


def confirm_champion(ws, project_id: int) -> int:
    """Make the model Evaluate proposes (the latest run's winner) the project's champion, as its
    "Make champion" button does; returns the champion's id."""
    proposal = evaluation.proposed_champion(ws, project_id)
    if proposal is None:
        raise AssertionError(f"Evaluate proposes no champion for project {project_id}: no trained model, or the "
                             "champion is already the best of the latest run.")
    evaluation.set_champion(ws, project_id, proposal.model_id)
    return proposal.model_id
