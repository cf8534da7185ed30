"""A newcomer builds a preparation recipe on a messy dataset in the browser; it survives a restart and the trained
model embeds exactly that recipe.

The data (tests/data/messy_customers.csv) has 100 customers × 3 rows (so the split advisor proposes a grouped
split), text dates with gaps, ages with gaps and absurd outliers (999), skewed incomes, a categorical with rare
values, free-text notes, 6 exact duplicate rows and a yes/no target ``churned``.

Screenshots land in test-artifacts/e2e/prepare/.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from storage import Workspace
from tests.e2e.helpers import ROOT, StreamlitPage, create_project, load_data_and_pick_target, train_and_wait
from usecases import preparation, projects

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MESSY = ROOT / "tests" / "data" / "messy_customers.csv"
MESSY_ROWS = 306
STEP_TITLE = re.compile(r"^\d+\. ")

# What the workbench proposes for this data (drop duplicates, date parts, median + indicator, Yeo-Johnson on the
# skewed columns, most frequent, scale, one-hot, TF-IDF), then what the test adds through the UI.
PROPOSED = ["Remove duplicate rows (training rows only)", "Date parts", "Fill missing values", "Power transform",
            "Fill missing values", "Scale", "Encode categories", "Text features (TF-IDF)"]
FINAL = ["Remove duplicate rows (training rows only)", "Date parts", "Fill missing values", "Clip outliers",
         "Power transform", "Fill missing values", "Scale", "Encode categories", "Text features (TF-IDF)",
         "New feature from columns"]


# ---- Prepare page helpers


def step_titles(st: StreamlitPage) -> list[str]:
    """The bold '**N. Title**' of every step row, in order, without the number."""
    texts = st.main.locator('[data-testid="stTabPanel"] [data-testid="stMarkdownContainer"] strong').all_inner_texts()
    return [STEP_TITLE.sub("", t.strip()) for t in texts if STEP_TITLE.match(t.strip())]


def step_row(st: StreamlitPage, number: int):
    """The bordered box of step ``number`` (1-based): its title, toggle, Up / Down / Remove and Edit expander."""
    title = st.main.locator('[data-testid="stMarkdownContainer"] strong').filter(
        has_text=re.compile(rf"^{number}\. "))
    expect(title).to_have_count(1)
    return title.locator("xpath=ancestor::div[@data-testid='stHorizontalBlock'][1]"
                         "/ancestor::div[@data-testid='stVerticalBlock'][1]")


def add_form(st: StreamlitPage):
    """The 'Add a step' form (the Edit forms say 'Save step')."""
    return st.main.locator('[data-testid="stForm"]').filter(
        has=st.page.get_by_role("button", name="Add step", exact=True))


def form_select(st: StreamlitPage, scope, label: str, option: str) -> None:
    """Pick ``option`` in a selectbox inside a form (no rerun until the form is submitted)."""
    combo = st.widget("stSelectbox", label, scope).get_by_role("combobox")
    open_options(st, combo, option).click()
    expect(combo).to_have_value(option)


def open_options(st: StreamlitPage, combo, option: str, typed: str | None = None):
    """Open the popup of ``combo`` (typing ``typed`` to filter it) until ``option`` shows; return that option."""
    choice = st.page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):  # a late DOM update (a lazily mounting grid) can close the fresh popup: reopen it
        combo.click()
        if typed:
            combo.fill(typed)
        try:
            choice.wait_for(timeout=3000)
            return choice
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            st.page.keyboard.press("Escape")
            st.wait_idle()
    return choice


def form_multiselect(st: StreamlitPage, scope, label: str, options: list[str]) -> None:
    """Add ``options`` to a multiselect inside a form."""
    box = st.widget("stMultiSelect", label, scope)
    for option in options:
        choice = st.page.get_by_role("option", name=option, exact=True)
        if not choice.is_visible():
            choice = open_options(st, box.get_by_role("combobox"), option)
        choice.click()
    st.page.keyboard.press("Escape")
    for option in options:
        expect(box).to_contain_text(option)


def form_radio(st: StreamlitPage, scope, option: str) -> None:
    scope.locator('[data-testid="stRadio"] label').filter(has=st.page.get_by_role("radio", name=option)).click()
    expect(scope.get_by_role("radio", name=option)).to_be_checked()


def add_step(st: StreamlitPage, label: str, fill=None) -> None:
    """Choose the step type ``label`` under 'Add a step', let ``fill(form)`` set its widgets, click 'Add step'."""
    count = len(step_titles(st))
    combo = st.widget("stSelectbox", "Step").get_by_role("combobox")
    st.act(open_options(st, combo, label, typed=label).click)  # typed: the long list would need scrolling
    expect(combo).to_have_value(label)
    form = add_form(st)
    if fill:
        fill(form)
    st.click("Add step", scope=form)
    st.main.locator('[data-testid="stMarkdownContainer"] strong').filter(
        has_text=re.compile(rf"^{count + 1}\. ")).wait_for()
    assert step_titles(st)[-1] == label


def move(st: StreamlitPage, number: int, button: str) -> int:
    """Click Up or Down on step ``number``; return its new number."""
    titles = step_titles(st)
    st.click(button, scope=step_row(st, number))
    new = number - 1 if button == "Up" else number + 1
    moved = titles[:]
    moved.insert(new - 1, moved.pop(number - 1))
    expect(st.main.locator('[data-testid="stMarkdownContainer"] strong').filter(
        has_text=re.compile(rf"^{new}\. "))).to_have_text(f"{new}. {titles[number - 1]}")
    assert step_titles(st) == moved
    return new


def column_stage_names(recipe: dict) -> list[str]:
    """The pipeline's stage names for a recipe: cast, one per enabled column step (s<position>_<type>), guard."""
    from engine.prepare.pipeline import column_steps

    return ["cast"] + [f"s{i + 1}_{s['type']}" for i, s in column_steps(recipe)] + ["guard"]


# ---- the scenario


def test_newcomer_builds_recipe_that_survives_restart_and_ships_with_the_model(
        start_server, open_page, artifacts, tmp_path):
    home = tmp_path / "home"
    server = start_server(home, "prepare_1.log")
    st = open_page(server.url, "prepare")
    st.goto("/")
    pid = create_project(st, "Messy customers")
    load_data_and_pick_target(st, MESSY, MESSY_ROWS)
    ws = Workspace(home)

    # -- the proposal
    st.nav("Prepare")
    st.main.get_by_text("Steps proposed from your data").wait_for()
    assert step_titles(st) == PROPOSED
    st.main.get_by_text(re.compile(r"6 rows repeat another row exactly")).wait_for()
    st.assert_no_exception("prepare: proposal")
    st.screenshot("01_proposed")

    # -- build the recipe: clip outliers on two chosen columns, moved up next to the imputation
    def clip(form):
        form_radio(st, form, "chosen columns")
        form_multiselect(st, form, "Chosen columns", ["age", "income"])
        method = st.widget("stSelectbox", "Method", form).get_by_role("combobox")
        expect(method).to_have_value("Interquartile range (IQR)")

    add_step(st, "Clip outliers", clip)
    number = 9
    for _ in range(4):
        number = move(st, number, "Up")
    assert number == 5  # after the power transform: move that one down below it
    assert move(st, 4, "Down") == 5

    def derive(form):
        form_select(st, form, "Operation", "A ÷ B")
        form_select(st, form, "Column", "income")
        form_select(st, form, "Second column", "age")

    add_step(st, "New feature from columns", derive)
    assert step_titles(st) == FINAL

    # switch the power transform (step 5) off
    power = step_row(st, 5)
    expect(power.get_by_role("switch", name="On")).to_be_checked()
    st.act(power.locator('[data-testid="stCheckbox"] label').click)
    expect(step_row(st, 5).get_by_role("switch", name="On")).not_to_be_checked()
    expect(step_row(st, 5)).to_contain_text("5. Power transform · off")

    # edit one step's parameter: Scale (step 7) → robust
    scale = step_row(st, 7)
    st.act(lambda: scale.get_by_text("Edit", exact=True).click(), grace=0.3)
    edit = scale.locator('[data-testid="stForm"]')
    form_select(st, edit, "Method", "Median and interquartile range (robust)")
    st.click("Save step", scope=edit)
    expect(step_row(st, 7)).to_contain_text("by median and interquartile range")
    assert step_titles(st) == FINAL
    st.assert_no_exception("prepare: steps built")
    st.screenshot("02_steps_built")

    # -- the split advisor
    st.page.get_by_role("tab", name="Split").click()
    st.main.get_by_text(re.compile(r"Split advisor")).first.wait_for()
    st.click("Use a group split by 'customer_id'")
    expect(st.main.get_by_role("button", name="Use a group split by 'customer_id'")).to_have_count(0)
    expect(st.main.get_by_role("radio", name="Grouped (all rows of an entity in one part)")).to_be_checked()
    st.assert_no_exception("prepare: split")
    st.screenshot("03_split")

    # -- the preview
    st.page.get_by_role("tab", name="Preview").click()
    panel = st.main.locator('[data-testid="stTabPanel"]:visible')
    panel.get_by_text(re.compile(r"^\d+ raw columns → \d+ model inputs")).wait_for()
    for heading in ("Before", "After", "Step by step"):
        panel.locator("strong").filter(has_text=re.compile(rf"^{heading}$")).wait_for()
    expect(panel.locator('[data-testid="stDataFrame"]')).to_have_count(3)
    panel.get_by_text(re.compile(r"Remove duplicate rows: removed \d+ of \d+ training rows")).wait_for()
    st.assert_no_exception("prepare: preview")
    st.screenshot("04_preview")

    recipe = projects.project_recipe(ws, pid)
    enabled = [s for s in recipe["steps"] if s["enabled"]]
    assert len(enabled) >= 8
    assert [s["type"] for s in recipe["steps"]] == [
        "drop_duplicates", "date_parts", "impute", "clip_outliers", "power", "impute", "scale", "encode", "tfidf",
        "derive"]
    assert [s["enabled"] for s in recipe["steps"]] == [True] * 4 + [False] + [True] * 5
    assert recipe["steps"][3]["columns"] == {"names": ["age", "income"]}
    assert recipe["steps"][3]["params"]["method"] == "iqr"
    assert recipe["steps"][6]["params"]["method"] == "robust"
    assert recipe["steps"][9]["params"] == {"op": "divide", "left": "income", "right": "age", "name": None,
                                            "bins": 5}
    assert recipe["split"]["strategy"] == "group" and recipe["split"]["group_column"] == "customer_id"
    stages = preparation.preview(ws, pid).stages  # the 'Step by step' table, as the page gets it
    assert stages["step"].tolist() == [i + 1 for i, s in enumerate(recipe["steps"])
                                       if s["enabled"] and s["type"] != "drop_duplicates"]

    # -- the recipe file
    st.page.get_by_role("tab", name="Recipe file").click()
    button = st.main.locator('[data-testid="stDownloadButton"]').get_by_role(
        "button", name="Download the recipe (JSON)", exact=True)
    with st.page.expect_download() as download:
        st.act(button.click, grace=1.0)
    saved = artifacts / "downloads" / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "Messy customers-recipe.json"
    assert json.loads(saved.read_text()) == recipe
    assert projects.project_recipe(ws, pid) == recipe

    # -- restart the server on the same workspace
    old_url = server.url
    server.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(old_url + "_stcore/health", timeout=2)
    second = start_server(home, "prepare_2.log")
    st = open_page(second.url, "prepare")
    st.goto(f"/?project={pid}")
    st.nav("Prepare")
    step_row(st, len(FINAL)).wait_for()
    assert step_titles(st) == FINAL
    expect(step_row(st, 5).get_by_role("switch", name="On")).not_to_be_checked()
    expect(step_row(st, 7)).to_contain_text("by median and interquartile range")
    assert st.main.get_by_text("Steps proposed from your data").count() == 0  # nothing was proposed again
    st.page.get_by_role("tab", name="Split").click()
    expect(st.main.get_by_role("radio", name="Grouped (all rows of an entity in one part)")).to_be_checked()
    st.assert_no_exception("prepare after restart")
    st.screenshot("05_after_restart")
    assert projects.project_recipe(ws, pid) == recipe

    # -- train one quick model
    st.nav("Train")
    models = st.widget("stMultiSelect", "Models")
    for chip in models.get_by_role("button", name=re.compile(r"^Remove ")).all()[::-1]:
        chip.click()
    form_multiselect(st, st.main, "Models", ["Logistic / linear regression"])
    train_and_wait(st, folds=0, timeout_ms=120_000)
    st.screenshot("06_trained")

    trained = [m for m in ws.list_models(pid) if m["path"]]
    assert {m["family"] for m in trained} == {"baseline", "linear"}
    for record in trained:
        pipeline, card = ws.load_model(record["id"])
        assert card["recipe"] == recipe
        assert [name for name, _ in pipeline.named_steps["prepare"].steps] == column_stage_names(recipe)
    assert column_stage_names(recipe) == ["cast", "s2_date_parts", "s3_impute", "s4_clip_outliers", "s6_impute",
                                          "s7_scale", "s8_encode", "s9_tfidf", "s10_derive", "guard"]
    for srv in (server, second):
        assert "Traceback" not in srv.log_tail(10**7), f"the server logged an error; see {srv.log_path}"
