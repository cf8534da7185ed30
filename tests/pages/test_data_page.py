"""The Data page: upload, samples, column types, problem definition and bad input."""

from __future__ import annotations

import pytest

from tests.pages.helpers import assert_clean, open_page

CSV = b"age,city,score,label\n" + b"".join(
    f"{20 + i},{['paris', 'rome', 'oslo'][i % 3]},{i * 1.5},{'yes' if i % 2 else 'no'}\n".encode() for i in range(30)
)


def test_without_project_points_to_sidebar():
    at = open_page("data")
    assert_clean(at)
    assert "Create or open a project" in at.info[0].value


def test_upload_csv_shows_preview_and_types(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("people.csv", CSV, "text/csv").run()
    assert_clean(at)
    dataset = ws.get_dataset(ws.get_project(project["id"])["dataset_id"])
    assert (dataset["n_rows"], dataset["n_cols"]) == (30, 4)
    assert at.metric[0].value == "30"
    types = at.data_editor[0].value
    assert dict(zip(types["column"], types["type"], strict=True))["city"] == "categorical"


def test_open_sample_sets_proposed_problem(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.selectbox(key="data_sample").select("diabetes")
    at.button(key="data_open_sample").click().run()
    assert_clean(at)
    assert ws.get_project(project["id"])["problem"] == {
        "target": "progression", "task": "regression", "metric": "rmse"}
    assert "Predict **progression**" in at.success[0].value


def test_choosing_target_saves_problem(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("people.csv", CSV, "text/csv").run()
    [target] = [s for s in at.selectbox if s.label.startswith("Target column")]
    target.select("label").run()
    assert_clean(at)
    assert ws.get_project(project["id"])["problem"] == {"target": "label", "task": "classification",
                                                          "metric": "roc_auc"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"a,b,c\n", "no data rows"),
        ("junk.csv", bytes(range(256)) * 20, "binary data"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "not a well-formed table"),
    ],
    ids=["empty", "header-only", "binary-junk", "ragged"],
)
def test_bad_files_show_a_message_and_keep_saved_work(ws, name, content, message):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("ok.csv", CSV, "text/csv").run()
    before = ws.get_project(project["id"])["dataset_id"]
    at.file_uploader[0].upload(name, content, "text/csv").run()
    assert_clean(at)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert ws.get_project(project["id"])["dataset_id"] == before


def test_one_class_target_shows_message(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    csv = b"x,y\n" + b"".join(f"{i},same\n".encode() for i in range(20))
    at.file_uploader[0].upload("one.csv", csv, "text/csv").run()
    [target] = [s for s in at.selectbox if s.label.startswith("Target column")]
    target.select("y").run()
    assert_clean(at)
    assert any("only one value" in e.value for e in at.error)
    assert ws.get_project(project["id"])["problem"] is None


def test_non_utf8_file_is_read_with_a_note(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    csv = "name,value\n" + "".join(f"café{i},{i}\n" for i in range(10))
    at.file_uploader[0].upload("latin.csv", csv.encode("latin-1"), "text/csv").run()
    assert_clean(at)
    assert any("not UTF-8" in w.value for w in at.warning)


def test_upload_over_the_limit_is_refused(ws, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "0.001")
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("big.csv", CSV * 3, "text/csv").run()
    assert_clean(at)
    assert any("over the" in e.value and "limit" in e.value for e in at.error)
    assert ws.get_project(project["id"])["dataset_id"] is None


def test_target_with_only_missing_values_shows_message(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    csv = b"x,y\n" + b"".join(f"{i},\n".encode() for i in range(20))
    at.file_uploader[0].upload("gaps.csv", csv, "text/csv").run()
    [target] = [s for s in at.selectbox if s.label.startswith("Target column")]
    target.select("y").run()
    assert_clean(at)
    assert any("no values" in e.value for e in at.error)


def test_mixed_type_column_is_flagged(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    values = [str(i) if i % 4 else "unknown" for i in range(20)]
    csv = ("a,b\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))).encode()
    at.file_uploader[0].upload("mixed.csv", csv, "text/csv").run()
    assert_clean(at)
    assert any("mixes numbers and text" in w.value for w in at.warning)
