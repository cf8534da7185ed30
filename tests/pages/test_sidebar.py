"""The sidebar project picker: create, switch, rename, delete."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.helpers import assert_clean


def _sidebar_app():
    from pages.sections.sidebar import project_sidebar

    project_sidebar()


def _app() -> AppTest:
    return AppTest.from_function(_sidebar_app, default_timeout=60).run()


def test_create_project_selects_it(ws):
    at = _app()
    at.sidebar.text_input[0].set_value("Churn")
    at.sidebar.button[0].click().run()
    assert_clean(at)
    [project] = ws.list_projects()
    assert project["name"] == "Churn"
    assert at.session_state["project_id"] == project["id"]
    assert at.sidebar.selectbox[0].value == project["id"]


def test_duplicate_name_shows_message(ws):
    ws.create_project("Churn")
    at = _app()
    at.sidebar.text_input[0].set_value("Churn")
    at.sidebar.button[0].click().run()
    assert_clean(at)
    assert "already exists" in at.sidebar.error[0].value
    assert len(ws.list_projects()) == 1


def test_switch_rename_and_delete(ws):
    first = ws.create_project("First")
    ws.create_project("Second")
    at = _app()
    at.sidebar.selectbox[0].select(first["id"]).run()
    assert at.session_state["project_id"] == first["id"]
    at.sidebar.text_input(key=f"rename_{first['id']}").set_value("Renamed")
    at.sidebar.button(key=f"rename_btn_{first['id']}").click().run()
    assert ws.get_project(first["id"])["name"] == "Renamed"
    delete = at.sidebar.button(key=f"delete_{first['id']}")
    assert delete.disabled
    at.sidebar.checkbox(key=f"confirm_delete_{first['id']}").check().run()
    at.sidebar.button(key=f"delete_{first['id']}").click().run()
    assert_clean(at)
    assert [p["name"] for p in ws.list_projects()] == ["Second"]
    assert at.session_state["project_id"] is None
