"""Scoring a file in chunks gives, row by row, what scoring the whole file gives; errors and notes are the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import DEFAULT_RECIPE, Problem, read_table, validate_recipe
from engine.deploy.batch import score_file
from engine.deploy.predict import check_input, predict_frame
from engine.errors import ColumnError, DataError, EmptyDataError
from engine.evaluate.conformal import PredictionInterval
from tests.linear_model import fit_linear

N = 60


def _rows(n: int = N) -> pd.DataFrame:
    """Columns whose types a first chunk gets wrong: 'visits' is whole numbers until row 50, 'code' digits until
    row 55 then a letter code, 'note' empty for 30 rows; 'zip' codes with leading zeros, dates, booleans, gaps."""
    rng = np.random.default_rng(0)
    visits = rng.integers(0, 20, n).astype(object)
    visits[50:] = [f"{v}.5" for v in visits[50:]]
    return pd.DataFrame({
        "visits": visits,
        "plan": rng.choice(["basic", "pro", None], n),
        "zip": rng.choice(["01234", "02134", "90210"], n),
        "code": [str(i % 4) if i < 55 else f"A{i % 4}" for i in range(n)],
        "active": rng.choice(["true", "false"], n),
        "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "note": [None] * 30 + [f"call {i}" for i in range(30, n)],
        "churned": np.where(rng.random(n) < 0.4, "yes", "no"),
    })


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("train") / "train.csv"
    _rows(80).to_csv(path, index=False)
    frame = read_table(path).frame
    problem = Problem("churned", "classification", "accuracy")
    recipe = validate_recipe(DEFAULT_RECIPE)
    pipeline, kinds = fit_linear(frame, problem, recipe)
    return pipeline, [{"name": n, "kind": kinds[n]} for n in pipeline.feature_names_in_]


def _whole(model, path, threshold=None) -> tuple[pd.DataFrame, list[str]]:
    """What scoring the whole file gives (the in-memory path), inputs first."""
    pipeline, features = model
    table = read_table(path)
    predictions = predict_frame(pipeline, table.frame, features, "classification", threshold)
    inputs = table.frame.drop(columns=predictions.columns, errors="ignore").reset_index(drop=True)
    return pd.concat([inputs, predictions], axis=1), table.notes + check_input(table.frame, features)


def _same(written: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Row by row: inputs and predicted classes read the same as text (a date, a zip code, a label); the
    probabilities agree to 1e-12, not bit for bit: BLAS sums a product of 7 rows and of 60 rows in different
    orders, so even one model scoring the same row alone and among others differs in the last bit."""
    assert list(written.columns) == list(expected.columns)
    assert len(written) == len(expected)
    for name in expected.columns:
        if name.startswith("proba_"):
            np.testing.assert_allclose(written[name], expected[name], rtol=0, atol=1e-12, err_msg=name)
        else:
            assert written[name].astype(str).tolist() == expected[name].astype(str).tolist(), name


@pytest.mark.parametrize("chunk_rows", [7, 1000], ids=["chunks-of-7", "one-chunk"])
def test_streamed_csv_predicts_what_the_whole_file_predicts(model, tmp_path, chunk_rows):
    source = tmp_path / "new.csv"
    _rows().to_csv(source, index=False)
    heard = []
    scored = score_file(model[0], source, tmp_path / "out.csv", model[1], "classification", chunk_rows=chunk_rows,
                        callbacks=[heard.append])
    expected, notes = _whole(model, source)
    assert scored.streamed and scored.rows == N and scored.notes == notes
    written = read_table(tmp_path / "out.csv").frame
    _same(written, expected)
    assert heard[-1].rows == N and heard[-1].done == 1.0
    if chunk_rows == 7:  # 'visits', 'code' and 'note' changed type after the first chunk: read again, knowing it
        starts = [i for i, c in enumerate(heard) if c.rows == len(c.inputs)]
        assert len(starts) > 1 and all(len(c.inputs) < 20 for c in heard)
        assert sum(len(c.inputs) for c in heard[starts[-1]:]) == N


def test_streamed_parquet_and_a_file_read_whole_agree(model, tmp_path):
    frame = read_table(_rows().to_csv(index=False).encode(), name="new.csv").frame
    frame.to_parquet(tmp_path / "new.parquet")
    frame.to_json(tmp_path / "new.json", orient="records")
    expected, _ = _whole(model, tmp_path / "new.parquet")
    parquet = score_file(model[0], tmp_path / "new.parquet", tmp_path / "p.parquet", model[1], "classification",
                         chunk_rows=9)
    json = score_file(model[0], tmp_path / "new.json", tmp_path / "j.parquet", model[1], "classification",
                      chunk_rows=9)
    assert (parquet.streamed, json.streamed) == (True, False)
    _same(pd.read_parquet(tmp_path / "p.parquet"), expected)
    _same(pd.read_parquet(tmp_path / "j.parquet"), _whole(model, tmp_path / "new.json")[0])


def test_semicolon_file_is_read_whole_with_the_same_predictions(model, tmp_path):
    source = tmp_path / "new.csv"
    _rows().to_csv(source, index=False, sep=";")
    scored = score_file(model[0], source, tmp_path / "out.csv", model[1], "classification", chunk_rows=7)
    expected, notes = _whole(model, source)
    assert not scored.streamed and scored.notes == notes and "Columns are separated by ';'." in notes
    _same(read_table(tmp_path / "out.csv").frame, expected)


def test_threshold_and_interval_apply_to_every_chunk(model, tmp_path):
    source = tmp_path / "new.csv"
    _rows().to_csv(source, index=False)
    score_file(model[0], source, tmp_path / "out.csv", model[1], "classification", 0.3, chunk_rows=7,
               with_inputs=False)
    written = pd.read_csv(tmp_path / "out.csv")
    expected, _ = _whole(model, source, threshold=0.3)
    assert list(written.columns) == ["prediction", "proba_no", "proba_yes"]
    assert written["prediction"].tolist() == expected["prediction"].tolist()
    assert written["prediction"].tolist() == np.where(written["proba_yes"] >= 0.3, "yes", "no").tolist()


def test_regression_interval_bounds_in_every_chunk(tmp_path):
    from sklearn.dummy import DummyRegressor

    source = tmp_path / "new.csv"
    pd.DataFrame({"x": range(20)}).to_csv(source, index=False)
    pipeline = DummyRegressor(constant=5.0, strategy="constant").fit(pd.DataFrame({"x": [1, 2]}), [5.0, 5.0])
    score_file(pipeline, source, tmp_path / "out.csv", [{"name": "x", "kind": "numeric"}], "regression",
               interval=PredictionInterval(0.9, 1.5, 0.91, 100), chunk_rows=3)
    written = pd.read_csv(tmp_path / "out.csv")
    assert written.columns.tolist() == ["x", "prediction", "lower_90%", "upper_90%"]
    assert written["x"].tolist() == list(range(20))
    assert set(written["lower_90%"]) == {3.5} and set(written["upper_90%"]) == {6.5}


def test_errors_leave_no_predictions_file(model, tmp_path):
    source = tmp_path / "new.csv"
    _rows().drop(columns=["plan"]).to_csv(source, index=False)
    with pytest.raises(ColumnError, match=r"lacks 1 column\(s\) the model needs: \['plan'\]"):
        score_file(model[0], source, tmp_path / "out.csv", model[1], "classification", chunk_rows=7)
    (tmp_path / "header.csv").write_text(",".join(_rows().columns) + "\n")
    with pytest.raises(EmptyDataError, match="no rows"):
        score_file(model[0], tmp_path / "header.csv", tmp_path / "out.csv", model[1], "classification")
    with pytest.raises(DataError, match=r"must end in \.csv or \.parquet\. Got 'out\.xlsx'"):
        score_file(model[0], source, tmp_path / "out.xlsx", model[1], "classification")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["header.csv", "new.csv"]


def test_a_one_thread_reader_still_streams_a_column_whose_type_changes(model, tmp_path):
    """Regression: with pyarrow on one thread (as after a training run limits threads to one) its conversion
    error names the row ('In CSV column #6: Row #32: CSV conversion error ...'); the pattern did not expect the row,
    so a type that changed in a later chunk read the whole file instead of starting the stream over."""
    import pyarrow as pa

    source = tmp_path / "new.csv"
    _rows().to_csv(source, index=False)
    threads = pa.cpu_count()
    pa.set_cpu_count(1)
    try:
        scored = score_file(model[0], source, tmp_path / "out.csv", model[1], "classification", chunk_rows=7)
    finally:
        pa.set_cpu_count(threads)
    assert scored.streamed and scored.rows == N
    _same(read_table(tmp_path / "out.csv").frame, _whole(model, source)[0])
