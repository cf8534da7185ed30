"""``--model DIR`` on predict, serve and drift: a directory someone else made cannot run code. Its card is theirs
too, so a sha256 in it proves nothing; the pipeline loads from ``model.skops`` with the trusted types, and the
pickle only when the user says they wrote the directory (and only when it matches its recorded sha256)."""

from __future__ import annotations

import json
import os

import joblib
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from engine import DEFAULT_RECIPE, ColumnInfo, build_pipeline
from engine.errors import ModelError
from storage import sha256_file, write_model_dir
from usecases.cli import main
from usecases.export import write_dir_skops
from usecases.serving import model_app

FEATURES = [ColumnInfo("visits", "numeric", "int64", 0, 9), ColumnInfo("plan", "categorical", "str", 0, 3)]


class _RunsOnLoad:
    """Unpickling this runs a shell command: what a crafted ``model.joblib`` does."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def rows(tmp_path):
    (tmp_path / "in.csv").write_text("plan,visits\nb,9\na,1\n")
    return tmp_path / "in.csv"


def _crafted_dir(folder, marker, *, with_sha256: bool = True):
    """A model directory whose joblib file runs ``touch marker`` when loaded, with a card that matches it."""
    folder.mkdir()
    joblib.dump(_RunsOnLoad(marker), folder / "model.joblib")
    card = {"task": "classification", "features": [f.to_dict() for f in FEATURES]}
    if with_sha256:
        card["sha256"] = sha256_file(folder / "model.joblib")
    (folder / "model.json").write_text(json.dumps(card))
    return folder


@pytest.mark.parametrize("command", ["predict", "drift"])
def test_a_crafted_pickle_with_a_matching_card_is_never_loaded(command, tmp_path, rows, capsys):
    marker = tmp_path / "pwned"
    folder = _crafted_dir(tmp_path / "m", marker)
    assert main([command, "--model", str(folder), "--data", str(rows), "--out", str(tmp_path / "out")]) == 1
    assert not marker.exists()
    assert "model.joblib is a Python pickle: loading it runs whatever code it holds" in capsys.readouterr().err


def test_serve_does_not_load_a_crafted_pickle(tmp_path):
    marker = tmp_path / "pwned"
    folder = _crafted_dir(tmp_path / "m", marker)
    with pytest.raises(ModelError, match="--trust-pickle"):
        model_app(model_dir=folder)
    assert not marker.exists()


def test_trusting_the_pickle_still_needs_a_recorded_sha256(tmp_path, rows, capsys):
    marker = tmp_path / "pwned"
    folder = _crafted_dir(tmp_path / "m", marker, with_sha256=False)
    assert main(["predict", "--model", str(folder), "--data", str(rows), "--out", str(tmp_path / "p.csv"),
                 "--trust-pickle"]) == 1
    assert not marker.exists()
    assert "records no sha256" in capsys.readouterr().err


@pytest.fixture
def genuine(tmp_path):
    frame = pd.DataFrame({"visits": [1, 9, 2, 10], "plan": ["a", "b", "a", "b"]})
    pipeline = build_pipeline(FEATURES, DEFAULT_RECIPE, DummyClassifier()).fit(frame, ["yes", "no", "yes", "no"])
    write_model_dir(tmp_path / "g", pipeline, {"task": "classification", "features": [f.to_dict() for f in FEATURES]})
    write_dir_skops(tmp_path / "g", pipeline, frame)
    return tmp_path / "g"


def test_a_directory_with_skops_never_opens_its_pickle(genuine, tmp_path, rows):
    marker = tmp_path / "pwned"
    joblib.dump(_RunsOnLoad(marker), genuine / "model.joblib")  # swapped in; the card's sha256 updated too
    card = json.loads((genuine / "model.json").read_text())
    (genuine / "model.json").write_text(json.dumps({**card, "sha256": sha256_file(genuine / "model.joblib")}))
    assert main(["predict", "--model", str(genuine), "--data", str(rows), "--out", str(tmp_path / "p.csv")]) == 0
    assert pd.read_csv(tmp_path / "p.csv")["prediction"].tolist() == ["no", "no"]
    assert model_app(model_dir=genuine).state.model_file == "model.skops"
    assert not marker.exists()


def test_a_changed_skops_file_is_refused(genuine, tmp_path, rows, capsys):
    with open(genuine / "model.skops", "ab") as handle:
        handle.write(b"\0")
    assert main(["predict", "--model", str(genuine), "--data", str(rows), "--out", str(tmp_path / "p.csv")]) == 1
    assert "does not match its recorded sha256" in capsys.readouterr().err


def test_a_skops_file_without_a_recorded_sha256_is_refused(genuine, tmp_path, rows, capsys):
    exports = json.loads((genuine / "exports.json").read_text())
    exports["model.skops"]["sha256"] = None
    (genuine / "exports.json").write_text(json.dumps(exports))
    assert main(["predict", "--model", str(genuine), "--data", str(rows), "--out", str(tmp_path / "p.csv")]) == 1
    assert "records no sha256 for model.skops" in capsys.readouterr().err


def test_trusting_a_pickle_says_so_on_stderr(genuine, tmp_path, rows, capsys):
    (genuine / "model.skops").unlink()
    (genuine / "exports.json").unlink()
    assert main(["predict", "--model", str(genuine), "--data", str(rows), "--out", str(tmp_path / "p.csv"),
                 "--trust-pickle"]) == 0
    assert capsys.readouterr().err.startswith(f"warning: loading {genuine}/model.joblib because of --trust-pickle. "
                                              "model.joblib is a Python pickle")


def test_the_help_says_a_joblib_file_is_code(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "model.joblib is a Python pickle: loading it runs whatever code it holds" in help_text
    assert "Without a token the API is OPEN" in help_text
