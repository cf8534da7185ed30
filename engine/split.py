"""Train / validation / test split of row positions, stratified when it can be.

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

from engine.errors import TargetError

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


def split_rows(y: pd.Series, task: str, split: dict) -> Split:
    """Split positions ``0..len(y)-1`` into train / valid / test as ``split`` says."""
    n = len(y)
    n_valid = int(round(n * split["valid"]))
    n_test = int(round(n * split["test"]))
    if n - n_valid - n_test < 5 or n_valid < 1:
        raise TargetError(
            f"Only {n} rows have a target value: too few for a train / validation split; add rows."
        )
    positions = np.arange(n)
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


def _cut(positions: np.ndarray, labels, n_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n_out == 0:
        return positions, positions[:0]
    keep, out = train_test_split(positions, test_size=n_out, random_state=seed, stratify=labels)
    return keep, out
