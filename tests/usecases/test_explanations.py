"""Why a trained model predicted what it did for a few validation rows."""

from __future__ import annotations

from usecases import evaluation, explanations


def test_validation_rows_spanning_the_predictions_with_each_columns_effect(ws, loaded, trained):
    model = next(m for m in ws.list_models(loaded) if m["family"] == "linear")
    rows = evaluation.model_rows(ws, model["id"])
    explained = explanations.validation_row_explanations(ws, model["id"], columns=["visits", "age"], n_rows=3)
    assert len(explained) == 3 and len({e.row for e in explained}) == 3
    assert [e.output for e in explained] == ["P(yes)"] * 3
    predictions = [e.prediction for e in explained]
    assert predictions == sorted(predictions)  # lowest to highest
    valid = rows.X.iloc[rows.valid]
    for e in explained:
        assert set(e.contributions) == {"visits", "age"} and 0 <= e.average <= 1
        assert e.values["visits"] == valid["visits"].iloc[e.row]
        assert e.actual == str(rows.y.iloc[rows.valid].iloc[e.row])
