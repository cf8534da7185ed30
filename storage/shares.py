"""Share links: read-only access to one project, stored by the sha256 of their token (never the token itself).

The token is made and hashed by the caller (``usecases.sharing``); storage only keeps and finds records.

>>> import tempfile
>>> from storage import Workspace
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> share = ws.add_share(project["id"], token_sha256="ab" * 32, label="board", created_at="2026-01-01T00:00:00",
...                      expires_at=None, allow_predict=False)
>>> ws.find_share("ab" * 32)["label"]
'board'
"""

from __future__ import annotations

from storage.db import write_db
from storage.records import Records

__all__ = ["Shares"]


class Shares(Records):
    """Share links of a workspace's projects."""

    def add_share(self, project_id: int, *, token_sha256: str, label: str, created_at: str,
                  expires_at: str | None, allow_predict: bool) -> dict:
        """Record a new share link of a project (``expires_at`` None: it never expires)."""
        self._get("projects", project_id)
        return self._insert("shares", {
            "project_id": project_id, "token_sha256": token_sha256, "label": label, "created_at": created_at,
            "expires_at": expires_at, "revoked_at": None, "allow_predict": allow_predict,
            "last_opened_at": None, "opens": 0})

    def get_share(self, share_id: int) -> dict:
        return self._get("shares", share_id)

    def find_share(self, token_sha256: str) -> dict | None:
        """The share whose token hashes to ``token_sha256``, or None (revoked and expired ones included)."""
        rows = self._rows("shares", "token_sha256 = ?", [token_sha256])
        return rows[0] if rows else None

    def list_shares(self, project_id: int) -> list[dict]:
        """A project's share links, newest first."""
        return self._rows("shares", "project_id = ?", [project_id], order="id desc")

    def revoke_share(self, share_id: int, revoked_at: str) -> dict:
        """Mark a share revoked (kept for the record; a revoked link never opens again)."""
        if self._get("shares", share_id)["revoked_at"] is None:
            self._update("shares", share_id, {"revoked_at": revoked_at})
        return self._get("shares", share_id)

    def record_share_open(self, share_id: int, opened_at: str) -> None:
        """Count one opening of a share link."""
        with write_db(self.db_path) as db:
            db.execute("UPDATE shares SET opens = opens + 1, last_opened_at = ? WHERE id = ?",
                       [opened_at, share_id])
