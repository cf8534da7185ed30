"""Share links: read-only access to one project, stored by the sha256 of their token (never the token itself).

The token is made and hashed by the caller (``usecases.sharing``); storage only keeps and finds records.

>>> import tempfile
>>> from storage import Workspace
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> share = add_share(ws, project["id"], token_sha256="ab" * 32, label="board", created_at="2026-01-01T00:00:00",
...                   expires_at=None, allow_predict=False)
>>> find_share(ws, "ab" * 32)["label"]
'board'
"""

from __future__ import annotations

from storage.db import open_db, write_db
from storage.errors import NotFoundError
from storage.workspace import Workspace

__all__ = ["add_share", "find_share", "get_share", "list_shares", "record_share_open", "revoke_share"]


def _decode(row: dict) -> dict:
    return {**row, "allow_predict": bool(row["allow_predict"])}


def add_share(ws: Workspace, project_id: int, *, token_sha256: str, label: str, created_at: str,
              expires_at: str | None, allow_predict: bool) -> dict:
    """Record a new share link of a project (``expires_at`` None: it never expires)."""
    ws.get_project(project_id)  # raises NotFoundError for a deleted project
    with write_db(ws.db_path) as db:
        share_id = db["shares"].insert({
            "project_id": project_id, "token_sha256": token_sha256, "label": label, "created_at": created_at,
            "expires_at": expires_at, "revoked_at": None, "allow_predict": int(allow_predict),
            "last_opened_at": None, "opens": 0}).last_pk
    return get_share(ws, share_id)


def get_share(ws: Workspace, share_id: int) -> dict:
    with open_db(ws.db_path) as db:
        rows = list(db["shares"].rows_where("id = ?", [share_id]))
    if not rows:
        raise NotFoundError(f"Share link {share_id} does not exist; it may have been deleted.")
    return _decode(rows[0])


def find_share(ws: Workspace, token_sha256: str) -> dict | None:
    """The share whose token hashes to ``token_sha256``, or None (revoked and expired ones included)."""
    with open_db(ws.db_path) as db:
        rows = list(db["shares"].rows_where("token_sha256 = ?", [token_sha256]))
    return _decode(rows[0]) if rows else None


def list_shares(ws: Workspace, project_id: int) -> list[dict]:
    """A project's share links, newest first."""
    with open_db(ws.db_path) as db:
        rows = db["shares"].rows_where("project_id = ?", [project_id], order_by="id desc")
        return [_decode(r) for r in rows]


def revoke_share(ws: Workspace, share_id: int, revoked_at: str) -> dict:
    """Mark a share revoked (kept for the record; a revoked link never opens again)."""
    share = get_share(ws, share_id)
    if share["revoked_at"] is None:
        with write_db(ws.db_path) as db:
            db["shares"].update(share_id, {"revoked_at": revoked_at})
    return get_share(ws, share_id)


def record_share_open(ws: Workspace, share_id: int, opened_at: str) -> None:
    """Count one opening of a share link."""
    with write_db(ws.db_path) as db:
        db.execute("UPDATE shares SET opens = opens + 1, last_opened_at = ? WHERE id = ?", [opened_at, share_id])
