"""Artifact files: Parquet and model directories, loaded only when their sha256 matches."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from storage import IntegrityError, StorageError, read_card, read_model_dir, sha256_file, write_model_dir
from storage.files import read_parquet, write_parquet


@pytest.fixture
def model():
    return DummyClassifier(strategy="most_frequent").fit([[0], [1], [2]], ["a", "b", "b"])


def test_sha256_of_a_known_file(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_parquet_round_trip_with_its_sha256(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    digest = write_parquet(frame, tmp_path / "sub" / "data.parquet")
    assert digest == hashlib.sha256((tmp_path / "sub" / "data.parquet").read_bytes()).hexdigest()
    back = read_parquet(tmp_path / "sub" / "data.parquet", digest)
    assert back["a"].tolist() == [1, 2]
    assert back["b"].iloc[0] == "x" and pd.isna(back["b"].iloc[1])
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["data.parquet"]  # no temporary file left


def test_changed_parquet_is_refused(tmp_path):
    digest = write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "d.parquet")
    write_parquet(pd.DataFrame({"a": [2]}), tmp_path / "d.parquet")
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        read_parquet(tmp_path / "d.parquet", digest)


def test_model_directory_round_trip(tmp_path, model):
    digest = write_model_dir(tmp_path / "m", model, {"task": "classification", "classes": ["a", "b"]})
    assert digest == sha256_file(tmp_path / "m" / "model.joblib")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.joblib", "model.json"]
    card = json.loads((tmp_path / "m" / "model.json").read_text())
    assert card == {"task": "classification", "classes": ["a", "b"], "sha256": digest, "model_file": "model.joblib"}
    loaded, card = read_model_dir(tmp_path / "m", digest)
    assert loaded.predict([[5]]).tolist() == ["b"]
    assert read_card(tmp_path / "m") == card


def test_tampered_model_file_is_not_loaded(tmp_path, model):
    digest = write_model_dir(tmp_path / "m", model, {})
    with open(tmp_path / "m" / "model.joblib", "ab") as handle:
        handle.write(b"\0")
    for recorded in (digest, None):  # the database's value, or the card's own
        with pytest.raises(IntegrityError, match=r"model.joblib' does not match its recorded sha256; it was changed"):
            read_model_dir(tmp_path / "m", recorded)


def test_swapped_model_with_a_matching_card_is_caught_by_the_recorded_sha256(tmp_path, model):
    recorded = write_model_dir(tmp_path / "m", model, {})
    other = DummyClassifier(strategy="prior").fit([[0], [1]], ["x", "y"])
    write_model_dir(tmp_path / "m", other, {})  # a consistent card, but not the file the database knows
    read_model_dir(tmp_path / "m")
    with pytest.raises(IntegrityError):
        read_model_dir(tmp_path / "m", recorded)


def test_missing_parts_of_a_model_directory(tmp_path, model):
    with pytest.raises(IntegrityError, match="is not a model directory: it has no model.json"):
        read_model_dir(tmp_path / "nothing")
    write_model_dir(tmp_path / "m", model, {})
    (tmp_path / "m" / "model.joblib").unlink()
    with pytest.raises(IntegrityError, match="model.joblib' is missing from the workspace"):
        read_model_dir(tmp_path / "m")


def test_integrity_error_is_a_storage_error():
    assert issubclass(IntegrityError, StorageError)


def test_model_card_is_written_then_renamed_so_a_failed_write_keeps_the_old_card(tmp_path, model, monkeypatch):
    """Regression: model.json was written in place, so a crash mid-write left a truncated card."""
    write_model_dir(tmp_path, model, {"family": "first"})
    real_replace = os.replace

    def failing_replace(source, target):
        if Path(target).name == "model.json":
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_model_dir(tmp_path, model, {"family": "second"})
    assert read_card(tmp_path)["family"] == "first"
