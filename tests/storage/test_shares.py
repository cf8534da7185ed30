"""Share-link records: stored by token hash, counted, revoked, gone with their project."""

from __future__ import annotations

import sqlite3

import pytest

from storage import NotFoundError

HASH_A, HASH_B = "a" * 64, "b" * 64


def _add(ws, project_id, digest=HASH_A, **values):
    defaults = {"label": "board", "created_at": "2026-01-01T00:00:00.000+00:00", "expires_at": None,
                "allow_predict": False}
    return ws.add_share(project_id, token_sha256=digest, **{**defaults, **values})


def test_add_find_and_list(ws):
    project = ws.create_project("Churn")
    first = _add(ws, project["id"])
    second = _add(ws, project["id"], HASH_B, label="team", allow_predict=True)
    assert ws.find_share(HASH_A)["id"] == first["id"]
    assert ws.find_share("c" * 64) is None
    assert second["allow_predict"] is True and first["allow_predict"] is False
    assert first["opens"] == 0 and first["last_opened_at"] is None and first["revoked_at"] is None
    assert [s["label"] for s in ws.list_shares(project["id"])] == ["team", "board"]


def test_token_hash_is_unique(ws):
    project = ws.create_project("Churn")
    _add(ws, project["id"])
    with pytest.raises(sqlite3.IntegrityError):
        _add(ws, project["id"])


def test_open_count_and_revoke(ws):
    project = ws.create_project("Churn")
    share = _add(ws, project["id"])
    ws.record_share_open(share["id"], "2026-01-02T00:00:00.000+00:00")
    ws.record_share_open(share["id"], "2026-01-03T00:00:00.000+00:00")
    share = ws.get_share(share["id"])
    assert (share["opens"], share["last_opened_at"]) == (2, "2026-01-03T00:00:00.000+00:00")
    revoked = ws.revoke_share(share["id"], "2026-01-04T00:00:00.000+00:00")
    again = ws.revoke_share(share["id"], "2026-01-05T00:00:00.000+00:00")
    assert revoked["revoked_at"] == again["revoked_at"] == "2026-01-04T00:00:00.000+00:00"


def test_unknown_project_and_share(ws):
    with pytest.raises(NotFoundError):
        _add(ws, 99)
    with pytest.raises(NotFoundError, match="Share link 5 does not exist"):
        ws.get_share(5)


def test_shares_go_with_their_project(ws):
    project = ws.create_project("Churn")
    _add(ws, project["id"])
    ws.delete_project(project["id"])
    assert ws.find_share(HASH_A) is None
