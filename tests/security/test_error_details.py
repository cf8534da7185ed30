"""An uncaught error shows no traceback, type or message in the browser (the shared view is open to anyone with its
link, and a message can hold paths, SQL or data values); the app's own error messages (st.error) still show."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
SCRIPT = """
import streamlit as st
st.error("The target column 'price' has 3 missing values; drop those rows or pick another target.")
raise ValueError("could not read /srv/workspace/secret.parquet: SELECT * FROM patients")
"""


@pytest.fixture
def configured_error_details():
    """Streamlit's option set to the project's config value for one test, then put back."""
    shown = tomllib.loads(CONFIG.read_text())["client"]["showErrorDetails"]
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", shown)
    yield shown
    config.set_option("client.showErrorDetails", before)


def test_the_app_config_hides_error_details():
    assert tomllib.loads(CONFIG.read_text())["client"]["showErrorDetails"] == "none"


def test_an_uncaught_error_shows_a_generic_message_and_the_apps_own_message_stays(configured_error_details):
    app = AppTest.from_string(SCRIPT).run()
    [error] = app.exception
    assert "encountered an error" in error.message
    assert "secret" not in error.message and "ValueError" not in error.message
    assert error.stack_trace == [] and not error.is_warning
    assert [e.value for e in app.error] == [
        "The target column 'price' has 3 missing values; drop those rows or pick another target."]
