"""Errors raised by storage.

    StorageError
    ├── NotFoundError     a record id that does not exist (project, dataset, job, run, model, batch, ...)
    ├── NameTakenError    a project name already in use
    └── IntegrityError    an artifact file is missing or its sha256 does not match the record
"""

from __future__ import annotations

__all__ = ["IntegrityError", "NameTakenError", "NotFoundError", "StorageError"]


class StorageError(Exception):
    """Base class of storage errors; the message says what to do."""


class NotFoundError(StorageError):
    """The requested record does not exist."""


class NameTakenError(StorageError):
    """A project with that name already exists."""


class IntegrityError(StorageError):
    """An artifact is missing or was changed since it was recorded."""
