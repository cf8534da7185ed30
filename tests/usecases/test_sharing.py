"""Share links: long random tokens stored hashed, revocation, expiry, one message for every bad token;
the report's data and the shared prediction form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import model_label
from engine.errors import ShareError
from usecases import sharing
from usecases.sharing import INVALID_LINK

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_token_is_long_random_and_stored_only_hashed(ws, project):
    token, record = sharing.create_share(ws, project["id"], "board", now=T0)
    other, _ = sharing.create_share(ws, project["id"], "team", now=T0)
    assert len(token) >= 43 and token != other
    assert record["token_sha256"] == sharing.token_sha256(token) and token not in record.values()
    raw = b"".join(p.read_bytes() for p in ws.home.glob("workbench.db*"))
    assert token.encode() not in raw and other.encode() not in raw
    assert sharing.token_sha256(token).encode() in raw
    assert sharing.resolve_share(ws, token, now=T0)["project_id"] == project["id"]


def _message(ws, token, now=T0) -> str:
    with pytest.raises(ShareError) as caught:
        sharing.resolve_share(ws, token, now=now)
    return str(caught.value)


def test_wrong_revoked_and_expired_tokens_get_the_same_error(ws, project):
    revoked, record = sharing.create_share(ws, project["id"], "revoked", now=T0)
    sharing.revoke_share(ws, project["id"], record["id"], now=T0)
    expiring, _ = sharing.create_share(ws, project["id"], "week", expires_in_days=7, now=T0)
    assert sharing.resolve_share(ws, expiring, now=T0 + timedelta(days=6, hours=23))["label"] == "week"
    messages = {_message(ws, "not-a-token"), _message(ws, ""), _message(ws, "x" * 5000), _message(ws, revoked),
                _message(ws, expiring, now=T0 + timedelta(days=7))}
    assert messages == {INVALID_LINK}


def test_deleted_project_link_is_invalid(ws, project):
    token, _ = sharing.create_share(ws, project["id"], "board", now=T0)
    ws.delete_project(project["id"])
    assert _message(ws, token) == INVALID_LINK


def test_list_shares_status_and_open_count(ws, project):
    token, _ = sharing.create_share(ws, project["id"], "board", expires_in_days=30, now=T0)
    sharing.resolve_share(ws, token, now=T0, count_open=True)
    sharing.resolve_share(ws, token, now=T0 + timedelta(hours=1), count_open=True)
    [share] = sharing.list_shares(ws, project["id"], now=T0 + timedelta(hours=2))
    assert (share["status"], share["opens"]) == ("active", 2)
    assert share["last_opened_at"].startswith("2026-03-01T13:00")
    assert share["expires_at"].startswith("2026-03-31T12:00")
    assert sharing.list_shares(ws, project["id"], now=T0 + timedelta(days=31))[0]["status"] == "expired"


def test_revoke_checks_the_project(ws, project):
    other = ws.create_project("Other")
    _, record = sharing.create_share(ws, project["id"], "board", now=T0)
    with pytest.raises(Exception, match="does not belong to this project"):
        sharing.revoke_share(ws, other["id"], record["id"])
    assert ws.find_share(record["token_sha256"])["revoked_at"] is None


@pytest.mark.parametrize("days", [0, -1, 4000, 2.5, "7", True], ids=repr)
def test_bad_expiry_is_refused(ws, project, days):
    with pytest.raises(ShareError, match="expires_in_days"):
        sharing.create_share(ws, project["id"], "board", expires_in_days=days)


def test_report_data_of_a_trained_project(ws, loaded, trained):
    report = sharing.report_data(ws, loaded)
    assert report.project == "Churn" and report.target == "churned" and report.task == "classification"
    assert report.profile.overview.n_rows == 30
    assert list(report.leaderboard["model"]) == [model_label("linear"), model_label("baseline")]
    assert list(report.leaderboard["champion"]) == ["yes", ""]
    assert report.champion is not None and report.champion.chosen
    assert "## Metrics" in report.champion.card_markdown
    assert report.champion.test_score is None
    assert set(report.champion.predictions.columns) >= {"y_true", "y_pred"}


def test_report_data_of_an_empty_project(ws, project):
    report = sharing.report_data(ws, project["id"])
    assert report.profile is None and report.champion is None and report.leaderboard.empty


def test_shared_prediction(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    fields = {f.name: f for f in sharing.prediction_form(ws, champion)}
    assert fields["visits"].kind == "numeric" and isinstance(fields["visits"].value, float)
    assert fields["plan"].options and fields["plan"].value in fields["plan"].options
    closed, _ = sharing.create_share(ws, loaded, "no predictions")
    with pytest.raises(ShareError, match="does not allow predictions"):
        sharing.predict_shared(ws, closed, {})
    token, record = sharing.create_share(ws, loaded, "predict", allow_predict=True)
    result = sharing.predict_shared(ws, token, {name: f.value for name, f in fields.items()})
    assert result["prediction"].iloc[0] in {"yes", "no"} and len(result) == 1
    assert ws.list_prediction_log(champion) == []  # a visitor's row is not production traffic
    sharing.revoke_share(ws, loaded, record["id"])
    with pytest.raises(ShareError, match=INVALID_LINK):
        sharing.predict_shared(ws, token, {})
