"""Typed errors raised by the engine.

Every error a user can cause derives from ``WorkbenchError``; pages and the command line
catch that base class and show its message. Anything else is a bug and should surface.

    WorkbenchError
    ├── DataError                  the data itself is unusable
    │   ├── EmptyDataError         no rows or no columns
    │   ├── MalformedFileError     the file cannot be parsed as the format it claims
    │   ├── EncodingError          the text is not in a supported encoding
    │   ├── FileTooLargeError      over the configured upload limit
    │   └── ColumnError            a column is missing, duplicated or unnamed
    ├── TargetError                the chosen target cannot be learned
    ├── RecipeError                a preparation recipe is invalid
    ├── TrainingError              no model could be trained
    ├── ModelError                 a stored model is missing, tampered with or mismatched
    ├── ServingError               a model server could not start (port in use, process died)
    ├── DriftError                 drift cannot be measured (no rows, no shared column, corrupt reference)
    ├── DecayError                 late labels cannot be matched to scored rows (no key, repeated keys)
    ├── AlertError                 an alert setting is invalid (e.g. a webhook URL that is not http(s))
    └── ShareError                 a share link is wrong, revoked or expired (one message for all three)
"""

from __future__ import annotations

__all__ = [
    "AlertError",
    "ColumnError",
    "DataError",
    "DecayError",
    "DriftError",
    "EmptyDataError",
    "EncodingError",
    "FileTooLargeError",
    "MalformedFileError",
    "ModelError",
    "ServingError",
    "ShareError",
    "RecipeError",
    "TargetError",
    "TrainingError",
    "WorkbenchError",
]


class WorkbenchError(Exception):
    """Base class of every error a user can cause; its message says what to do."""


class DataError(WorkbenchError):
    """The data cannot be used as it is."""


class EmptyDataError(DataError):
    """The data has no rows or no columns."""


class MalformedFileError(DataError):
    """The file cannot be parsed as the format it claims to be."""


class EncodingError(DataError):
    """The text is not in a supported encoding."""


class FileTooLargeError(DataError):
    """The file is larger than the configured limit."""


class ColumnError(DataError):
    """A column is missing, duplicated or has no name."""


class TargetError(WorkbenchError):
    """The chosen target column cannot be learned from."""


class RecipeError(WorkbenchError):
    """A preparation recipe or training setting is invalid."""


class TrainingError(WorkbenchError):
    """No model could be trained."""


class ModelError(WorkbenchError):
    """A stored model is missing, tampered with, or does not fit the data given to it."""


class ServingError(WorkbenchError):
    """A model's REST server could not be started or reached."""


class DriftError(WorkbenchError):
    """Drift cannot be measured: no incoming rows, no column shared with the reference, or a corrupt reference."""


class AlertError(WorkbenchError):
    """An alert setting is invalid, e.g. a webhook URL that is not http(s)."""


class DecayError(WorkbenchError):
    """Late labels cannot be matched or scored: no key column, repeated keys, no label matching a scored row."""


class ShareError(WorkbenchError):
    """A share link cannot be opened, or cannot be made as asked."""
