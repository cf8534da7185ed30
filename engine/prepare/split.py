"""Train / validation / test split of row positions: random, stratified, time-ordered or grouped.

>>> import pandas as pd
>>> y = pd.Series(["a", "b"] * 50)
>>> s = split_rows(y, "classification", {"train": 0.7, "valid": 0.15, "test": 0.15,
...                                       "strategy": "stratified", "seed": 0})
>>> len(s.train), len(s.valid), len(s.test)
(70, 15, 15)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from engine.data.schema import convert_series
from engine.errors import RecipeError, TargetError

__all__ = ["Split", "split_rows"]


class Split(NamedTuple):
    """Row positions (0-based, into the frame given) of each part, plus what was decided."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    stratified: bool
    notes: list[str]

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}


def split_rows(y: pd.Series, task: str, split: dict, frame: pd.DataFrame | None = None) -> Split:
    """Split positions ``0..len(y)-1`` into train / valid / test as ``split`` says.

    A ``time`` or ``group`` split reads its column from ``frame`` (aligned with ``y``).
    """
    n = len(y)
    n_valid = int(round(n * split["valid"]))
    n_test = int(round(n * split["test"]))
    if n - n_valid - n_test < 5 or n_valid < 1:
        raise TargetError(
            f"Only {n} rows have a target value: too few for a train / validation split; add rows."
        )
    positions = np.arange(n)
    if split["strategy"] in ("time", "group"):
        return _ordered_split(split, frame, n, n_valid, n_test)
    labels = y.astype(str).to_numpy() if task == "classification" else None
    notes: list[str] = []
    stratify = split["strategy"] == "stratified" and task == "classification"
    if stratify and pd.Series(labels).value_counts().min() < 3:
        notes.append("Some class has fewer than 3 rows, so the split could not be stratified; it is random.")
        stratify = False
    n_classes = len(set(labels)) if stratify else 0
    if stratify and min(n - n_valid - n_test, n_valid, n_test or n_classes) < n_classes:
        notes.append(
            f"A part of the split has fewer rows than the {n_classes} classes, so it could not be stratified; "
            "it is random."
        )
        stratify = False
    seed = split["seed"]
    rest, test = _cut(positions, labels if stratify else None, n_test, seed)
    rest_labels = labels[rest] if stratify else None
    train, valid = _cut(rest, rest_labels, n_valid, seed + 1)
    return Split(np.sort(train), np.sort(valid), np.sort(test), stratify, notes)


def _ordered_split(split: dict, frame: pd.DataFrame | None, n: int, n_valid: int, n_test: int) -> Split:
    """Time: the earliest rows train, the latest test. Group: whole groups go to one part each."""
    strategy = split["strategy"]
    column = split[f"{strategy}_column"]
    if frame is None or column not in frame.columns:
        raise RecipeError(f"The {strategy} split needs column '{column}', which the data does not have; "
                          "pick another column or another split.")
    values = frame[column].reset_index(drop=True)
    if strategy == "time":
        times = convert_series(values, "datetime")
        order = np.argsort(times.to_numpy(dtype="datetime64[ns]"), kind="stable")  # missing times sort last
        n_train = n - n_valid - n_test
        notes = [f"Time-ordered by '{column}': training rows come first, test rows last."]
        if times.isna().any():
            notes.append(f"{int(times.isna().sum())} rows without a '{column}' value are placed last.")
        return Split(np.sort(order[:n_train]), np.sort(order[n_train:n_train + n_valid]),
                     np.sort(order[n_train + n_valid:]), False, notes)
    keys = values.astype(object).where(values.notna(), pd.Series(np.arange(n), dtype=object).map("row {}".format))
    codes, uniques = pd.factorize(keys)
    if len(uniques) < 3:
        raise RecipeError(f"Column '{column}' has {len(uniques)} groups; a grouped split needs at least 3.")
    shuffled = np.random.default_rng(split["seed"]).permutation(len(uniques))
    sizes = np.bincount(codes, minlength=len(uniques))[shuffled]
    ends = np.cumsum(sizes)
    part = np.where(ends <= n_test, 2, np.where(ends <= n_test + n_valid, 1, 0))
    part[0] = 2 if n_test else 1  # every part that should exist gets at least one group
    if n_test and not (part == 1).any():
        part[1] = 1
    part[-1] = 0
    group_part = np.empty(len(uniques), int)
    group_part[shuffled] = part
    row_part = group_part[codes]
    notes = [f"Grouped by '{column}': all rows of a group fall in the same part ({len(uniques)} groups)."]
    return Split(*(np.flatnonzero(row_part == k) for k in (0, 1, 2)), False, notes)


def _cut(positions: np.ndarray, labels, n_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n_out == 0:
        return positions, positions[:0]
    keep, out = train_test_split(positions, test_size=n_out, random_state=seed, stratify=labels)
    return keep, out
