"""Storage: the SQLite workspace database and the artifact files. Knows nothing of the engine or the UI."""

from storage.db import SCHEMA_VERSION
from storage.errors import IntegrityError, NameTakenError, NotFoundError, StorageError
from storage.files import (
    read_card,
    read_export,
    read_model_bytes,
    read_model_dir,
    read_reference,
    sha256_file,
    write_card,
    write_export,
    write_model_dir,
    write_model_file,
    write_reference,
)
from storage.workspace import Workspace, now

__all__ = [
    "SCHEMA_VERSION",
    "IntegrityError",
    "NameTakenError",
    "NotFoundError",
    "StorageError",
    "Workspace",
    "read_card",
    "read_export",
    "read_model_bytes",
    "read_model_dir",
    "read_reference",
    "sha256_file",
    "now",
    "write_card",
    "write_export",
    "write_model_dir",
    "write_model_file",
    "write_reference",
]
