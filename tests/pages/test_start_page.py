"""The start page: the road, the sample project one click away, the recent projects with their stage."""

from __future__ import annotations

from tests.pages.helpers import assert_clean, open_page
from usecases import projects


def test_a_fresh_workspace_shows_the_road_and_the_sample(ws):
    at = open_page("start")
    assert_clean(at)
    assert at.title[0].value == "Start"
    road = at.markdown[0].value
    assert road.endswith("**Data** → **Explore** → **Prepare** → **Train** → **Evaluate** → **Deploy** → **Monitor**")
    links = [m.value for m in at.markdown if m.value.startswith("[link] ")]
    assert links == [f"[link] {s}" for s in ("Data", "Explore", "Prepare", "Train", "Evaluate", "Deploy", "Monitor")]
    assert "Recent projects" not in [h.value for h in at.subheader]
    at.button(key="start_sample").click().run()
    [project] = projects.list_projects(ws)
    assert project["name"] == "Breast cancer (sample)" and project["recipe"] is not None
    assert at.session_state["pending_project"] == project["id"]  # the sidebar opens it on the next run


def test_recent_projects_say_where_each_stands(ws, churn_project):
    ws.create_project("Empty")
    at = open_page("start", churn_project["id"])
    assert_clean(at)
    assert "Recent projects" in [h.value for h in at.subheader]
    texts = [m.value for m in at.markdown]
    assert "**Empty**" in texts and "**Churn** (open)" in texts
    assert texts.count(":material/table: Continue on **Data**") == 1  # Empty has no data
    assert ":material/tune: Continue on **Prepare**" in texts  # Churn has data and a target, no recipe yet
    assert [c.value for c in at.caption].count("No trained model yet") == 2
    at.button(key=f"start_open_{churn_project['id']}").click().run()
    assert at.session_state["pending_project"] == churn_project["id"]
