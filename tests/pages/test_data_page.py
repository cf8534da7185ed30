"""The Data page: upload, samples, column types, problem definition and bad input."""

from __future__ import annotations

import io

import openpyxl
import pytest

from engine.data.io import format_bytes
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


# -- reading options and sheets --------------------------------------------------------------------
def _select(at, label: str):
    [box] = [s for s in at.selectbox if s.label == label]
    return box


def test_reading_options_show_what_was_sniffed(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("prices.csv", b"name;price\nA;1,5\nB;2,25\nC;3\n", "text/csv").run()
    assert_clean(at)
    assert at.expander[0].label == "Reading options"
    assert (_select(at, "Delimiter").value, _select(at, "Decimal separator").value) == (";", ",")
    assert _select(at, "Encoding").value == "utf-8"
    assert ui_frame(ws, project["id"])["price"].tolist() == [1.5, 2.25, 3.0]
    assert any("decimal separator" in w.value for w in at.warning)


def test_reading_options_can_be_overridden_and_read_again(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("years.csv", b"2023,2024\n1,2\n3,4\n", "text/csv").run()
    assert list(ui_frame(ws, project["id"]).columns) == ["column_1", "column_2"]
    assert _widget(at.checkbox, "data_header_").value is False
    _widget(at.checkbox, "data_header_").check()
    _widget(at.button, "data_reread_").click().run()
    assert_clean(at)
    assert ui_frame(ws, project["id"]).to_dict("list") == {"2023": [1, 3], "2024": [2, 4]}
    assert len(ws.list_datasets(project["id"])) == 2


def test_a_wrong_encoding_choice_shows_a_message(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("v.csv", "ville\nQuébec\n".encode("cp1252"), "text/csv").run()
    _widget(at.selectbox, "data_encoding_").select("utf-16")
    _widget(at.button, "data_reread_").click().run()
    assert_clean(at)
    assert any("cannot be read as utf-16" in e.value for e in at.error), [e.value for e in at.error]
    assert ui_frame(ws, project["id"])["ville"].tolist() == ["Québec"]


def test_excel_sheet_picker_reads_the_chosen_sheet(ws):
    book = openpyxl.Workbook()
    book.active.title = "first"
    for row in (("a", "b"), (1, 2)):
        book.active.append(row)
    second = book.create_sheet("second")
    for row in (("x",), (7,), (8,)):
        second.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("book.xlsx", buffer.getvalue(), "application/octet-stream").run()
    assert_clean(at)
    assert at.subheader[0].value == "book.xlsx [first]"
    assert _select(at, "Sheet (2 in this workbook)").options == ["first", "second"]
    _select(at, "Sheet (2 in this workbook)").select("second")
    _widget(at.button, "data_read_sheet_").click().run()
    assert_clean(at)
    assert at.subheader[0].value == "book.xlsx [second]"
    assert ui_frame(ws, project["id"])["x"].tolist() == [7, 8]


# -- appending rows and versions ---------------------------------------------------------------------
def test_append_rows_then_switch_back_to_the_first_version(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("people.csv", CSV, "text/csv").run()
    first = ws.get_project(project["id"])["dataset_id"]
    at.file_uploader[1].upload("more.csv", CSV, "text/csv").run()
    assert_clean(at)
    added = ws.get_dataset(ws.get_project(project["id"])["dataset_id"])
    assert (added["name"], added["n_rows"]) == ("people.csv + more.csv", 60)
    assert at.metric[0].value == "60"
    versions = at.dataframe[1].value
    assert versions[["active", "version", "rows"]].values.tolist() == [["✓", added["id"], 60], ["", first, 30]]
    at.selectbox(key=f"data_version_{project['id']}_{added['id']}").select(first).run()
    at.button(key="data_use_version").click().run()
    assert_clean(at)
    assert ws.get_project(project["id"])["dataset_id"] == first
    assert at.metric[0].value == "30"


def test_appending_rows_with_other_columns_shows_what_differs(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("people.csv", CSV, "text/csv").run()
    before = ws.get_project(project["id"])["dataset_id"]
    at.file_uploader[1].upload("other.csv", b"age,town\n1,x\n", "text/csv").run()
    assert_clean(at)
    assert any("missing columns ['city', 'score', 'label']; extra columns ['town']" in e.value for e in at.error)
    assert ws.get_project(project["id"])["dataset_id"] == before


# -- more bad input --------------------------------------------------------------------------------------
def test_utf16_file_is_read(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("u16.csv", CSV.decode().encode("utf-16"), "text/csv").run()
    assert_clean(at)
    assert not at.error
    assert ui_frame(ws, project["id"]).shape == (30, 4)


def test_dotted_column_name_is_kept_without_a_note(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("dots.csv", b"a,a.1\n" + b"1,2\n" * 5, "text/csv").run()
    assert_clean(at)
    assert list(ui_frame(ws, project["id"]).columns) == ["a", "a.1"]
    assert not any("more than once" in w.value for w in at.warning)


def test_ten_thousand_columns_preview_the_first_fifty(ws):
    header = ",".join(f"c{i}" for i in range(10_000))
    rows = "".join(",".join(str((i + j) % 5) for i in range(10_000)) + "\n" for j in range(3))
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("wide.csv", f"{header}\n{rows}".encode(), "text/csv").run()
    assert_clean(at)
    assert at.metric[1].value == "10,000"
    assert at.dataframe[0].value.shape == (3, 50)
    assert any("first 50 of 10,000 columns" in c.value for c in at.caption)


def test_size_limit_message_has_sensible_units(ws, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "0")
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("big.csv", CSV, "text/csv").run()
    assert any(f"is {format_bytes(len(CSV))}, over the 0 bytes limit" in e.value for e in at.error)
    assert format_bytes(len(CSV)) == "519 bytes"


def ui_frame(ws, project_id: int):
    """The project's active data as stored."""
    return ws.load_dataset(ws.get_project(project_id)["dataset_id"])


def _widget(widgets, prefix: str):
    """The one widget whose key starts with ``prefix`` (keys carry the upload's file id)."""
    [widget] = [w for w in widgets if (w.key or "").startswith(prefix)]
    return widget


# -- appending with reading options ------------------------------------------------------------------
def _workbook(sheets: dict[str, list[tuple]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_appended_workbook_is_read_from_the_chosen_sheet(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("shop.csv", b"item,price\npen,1.5\ncup,4\n", "text/csv").run()
    first = ws.get_project(project["id"])["dataset_id"]
    book = _workbook({"notes": [("memo",), ("checked by Ann",)], "march": [("item", "price"), ("ink", 2.5),
                                                                          ("pad", 3)]})
    at.file_uploader[1].upload("march.xlsx", book, "application/octet-stream").run()
    assert_clean(at)
    assert any("missing columns ['item', 'price']" in e.value for e in at.error), [e.value for e in at.error]
    assert _widget(at.selectbox, "data_append_sheet_").options == ["notes", "march"]
    _widget(at.selectbox, "data_append_sheet_").select("march")
    _widget(at.button, "data_append_read_sheet_").click().run()
    assert_clean(at)
    assert not at.error
    added = ws.get_dataset(ws.get_project(project["id"])["dataset_id"])
    assert added["name"] == "shop.csv + march.xlsx"
    assert ui_frame(ws, project["id"]).to_dict("list") == {"item": ["pen", "cup", "ink", "pad"],
                                                          "price": [1.5, 4.0, 2.5, 3.0]}
    assert len(ws.list_datasets(project["id"])) == 2 and added["id"] != first


def test_appended_semicolon_csv_with_decimal_comma_and_reading_it_again(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("shop.csv", b"item,price\npen,1.5\ncup,4\n", "text/csv").run()
    first = ws.get_project(project["id"])["dataset_id"]
    at.file_uploader[1].upload("april.csv", b"item;price\nink;2,5\npad;3,25\nbox;7\n", "text/csv").run()
    assert_clean(at)
    assert (_widget(at.selectbox, "data_append_delimiter_").value,
            _widget(at.selectbox, "data_append_decimal_").value) == (";", ",")
    assert ui_frame(ws, project["id"])["price"].tolist() == [1.5, 4.0, 2.5, 3.25, 7.0]
    assert any(f"Added below version #{first}" in c.value for c in at.caption)
    # The file's first row is data, not names: read it again without a header row -> columns differ.
    _widget(at.checkbox, "data_append_header_").uncheck()
    _widget(at.button, "data_append_reread_").click().run()
    assert_clean(at)
    assert any("missing columns ['item', 'price']" in e.value for e in at.error), [e.value for e in at.error]
    _widget(at.checkbox, "data_append_header_").check()
    _widget(at.button, "data_append_reread_").click().run()
    assert_clean(at)
    latest = ws.get_dataset(ws.get_project(project["id"])["dataset_id"])
    assert latest["n_rows"] == 5  # added to the first version again, not on top of the first addition
    assert [d["n_rows"] for d in ws.list_datasets(project["id"])] == [2, 5, 5]


def test_change_one_column_type_without_the_grid(ws):
    project = ws.create_project("P")
    at = open_page("data", project["id"])
    at.file_uploader[0].upload("people.csv", CSV, "text/csv").run()
    dataset_id = ws.get_project(project["id"])["dataset_id"]
    at.selectbox(key=f"data_type_column_{dataset_id}").select("age").run()
    assert at.selectbox(key="data_type_kind_age").value == "numeric"
    assert at.button(key="data_type_apply").disabled
    at.selectbox(key="data_type_kind_age").select("categorical").run()
    at.button(key="data_type_apply").click().run()
    assert_clean(at)
    assert ws.get_project(project["id"])["column_kinds"] == {"age": "categorical"}
    types = at.data_editor[0].value
    assert dict(zip(types["column"], types["type"], strict=True))["age"] == "categorical"
    assert at.selectbox(key="data_type_kind_age").value == "categorical"
