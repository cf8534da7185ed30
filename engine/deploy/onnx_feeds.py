"""The inputs of an exported ONNX model, from a DataFrame (batch scoring, export checks) or straight from JSON
records (the REST API's single rows), and an onnxruntime session that scores them.

One conversion rule, per column kind: numbers and booleans -> float64 with NaN for gaps, dates -> float64
seconds since 1970-01-01 of their wall-clock time, categories and text -> str with "" for gaps. The DataFrame
path applies it to whole columns (``engine.data.schema.convert_series``, as the pipeline's own ``KindCaster`` does);
the records path takes a shortcut only for the plain values a validated request holds (None, bool, int, float,
str) and only where it gives exactly what the column rule gives; any other column goes through the column rule.
Building a one-row DataFrame and converting it column by column costs milliseconds; the shortcut, microseconds.

>>> features = [{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}]
>>> feeds = record_inputs([{"age": 30, "plan": 3}, {"age": None, "plan": None}], features)
>>> feeds["age"].ravel().tolist(), feeds["plan"].ravel().tolist()
([30.0, nan], ['3', ''])

This module imports neither onnx nor skl2onnx, so a server needs only onnxruntime to run an export.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from engine.data.schema import _label, convert_series

__all__ = ["STRING_KINDS", "OnnxRunner", "onnx_inputs", "record_inputs"]

#: Column kinds whose ONNX input is a string tensor (the others are float64); ``engine.deploy.onnx_converters`` agrees.
STRING_KINDS = ("categorical", "text")
_EPOCH = pd.Timestamp("1970-01-01")


def onnx_inputs(frame: pd.DataFrame, features: list[dict]) -> dict[str, np.ndarray]:
    """The ONNX model's inputs for raw rows: one [N, 1] array per feature (float64, or str with "" missing).

    Dates become float64 seconds since 1970-01-01 of their wall-clock time (NaN when missing).
    """
    return {f["name"]: _column_feed(frame[f["name"]], f["kind"]) for f in features}


def record_inputs(records: list[dict], features: list[dict]) -> dict[str, np.ndarray]:
    """The same inputs as ``onnx_inputs(pd.DataFrame.from_records(records), features)``, without the DataFrame.

    A key absent from a record counts as a gap, as in ``DataFrame.from_records``.
    """
    feeds = {}
    for feature in features:
        name, kind = feature["name"], feature["kind"]
        values = [record.get(name) for record in records]
        feed = _plain_feed(values, kind)
        feeds[name] = feed if feed is not None else _column_feed(pd.Series(values), kind)
    return feeds


def _column_feed(series: pd.Series, kind: str) -> np.ndarray:
    """The conversion rule, on a whole column."""
    values = convert_series(series, kind)
    if kind == "datetime":
        return _seconds(pd.DatetimeIndex(values))
    if kind in STRING_KINDS:
        return np.array(["" if pd.isna(v) else str(v) for v in values], dtype=object).reshape(-1, 1)
    return values.to_numpy(dtype=np.float64, na_value=np.nan).reshape(-1, 1)


def _seconds(dates: pd.DatetimeIndex) -> np.ndarray:
    """[N, 1] float64 seconds since 1970-01-01 of the dates' wall-clock time, NaN for gaps."""
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    seconds = (dates - _EPOCH) / pd.Timedelta(seconds=1)
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan).reshape(-1, 1)


def _plain_feed(values: list, kind: str) -> np.ndarray | None:
    """The column rule's result computed value by value, or None when the values are not plain enough for that.

    Numbers: a column of numbers and gaps is float64 whatever the kind; a numeric or boolean column of booleans
    and gaps reads True as 1. Strings: every plain value becomes its label (3.0 reads '3'), gaps ''.
    Dates given as strings are parsed as ``pd.to_datetime`` parses a column of them, without building the Series.
    Anything else (e.g. 'yes' among numbers, numbers as dates) takes the column rule.
    """
    if kind == "datetime":
        if not all(v is None or type(v) is str for v in values):
            return None
        with warnings.catch_warnings():  # as convert_series: unparseable dates are gaps, not warnings
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(np.array(values, dtype=object), errors="coerce", format="mixed")
        return _seconds(dates)
    if kind in STRING_KINDS:
        if not all(v is None or type(v) in (str, bool, int, float) for v in values):
            return None
        return np.array(["" if v is None or v != v else _label(v) for v in values], dtype=object).reshape(-1, 1)
    types = {type(v) for v in values if v is not None}
    if types <= {int, float} or types == {bool}:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64).reshape(-1, 1)
    return None


class OnnxRunner:
    """An onnxruntime session of an exported model, kept open to score raw rows again and again (serving)."""

    def __init__(self, data: bytes, features: list[dict], threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only
        options.intra_op_num_threads = threads  # small batches: threads cost more than they give
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.features = features
        self.outputs = [o.name for o in self.session.get_outputs()]

    def __call__(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Outputs by name for the rows of ``frame``."""
        return self.run(onnx_inputs(frame, self.features))

    def records(self, records: list[dict]) -> dict[str, np.ndarray]:
        """Outputs by name for JSON-like records (a list of dicts), without building a DataFrame."""
        return self.run(record_inputs(records, self.features))

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self.outputs, self.session.run(None, feeds), strict=True))
