"""Sharing with stakeholders: read-only links to one project's report, the report's data, and the optional
"try a prediction" form of a shared report.

A link's token is ``secrets.token_urlsafe(32)`` (256 random bits), shown once when it is made, like an API
key; the workspace keeps only its sha256. A wrong, revoked or expired token (or one whose project is gone)
raises the same ``ShareError`` with the same message, so a visitor cannot tell which one it was.
Every function that takes a time takes ``now`` (a UTC datetime) so tests can move the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pandas as pd

from engine import METRICS, model_label, predict_frame
from engine.deploy.export import model_card_markdown
from engine.deploy.project_report import Champion, ProjectReport, shows_value
from engine.errors import ModelError, ShareError
from engine.explore import profile as prof
from storage import NotFoundError, Workspace
from usecases import evaluation, projects
from usecases.export import card_json

__all__ = ["INVALID_LINK", "PREDICTIONS_PER_MINUTE", "FormField", "create_share", "list_shares", "prediction_form",
           "predict_shared", "report_data", "resolve_share", "revoke_share", "share_status", "token_sha256"]

INVALID_LINK = "This link is not valid. Ask its owner for a new one."
_MAX_LABEL = 100
_MAX_DAYS = 3650
_MAX_TOKEN = 200  # token_urlsafe(32) is 43 characters; anything far longer is not one of ours
_OPTIONS = 50  # category choices offered in the prediction form
#: Predictions one share link may make per minute (all its visitors together).
PREDICTIONS_PER_MINUTE = 20
_RECENT: dict[str, deque] = {}  # token sha256 -> times (UTC seconds) of its predictions within the last minute
_RECENT_LOCK = threading.Lock()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def token_sha256(token: str) -> str:
    """The hex sha256 of a token: what the workspace stores and looks links up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_share(ws: Workspace, project_id: int, label: str, expires_in_days: int | None = None,
                 allow_predict: bool = False, *, now: datetime | None = None) -> tuple[str, dict]:
    """Make a share link of a project: (token, record). The token is returned here only; keep it now."""
    label = (label or "").strip()
    if len(label) > _MAX_LABEL:
        raise ShareError(f"A share link's label is at most {_MAX_LABEL} characters. Got {len(label)} instead.")
    if expires_in_days is not None and (isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int)
                                        or not 1 <= expires_in_days <= _MAX_DAYS):
        raise ShareError(f"The 'expires_in_days' parameter of create_share must be None or an int in "
                         f"[1, {_MAX_DAYS}]. Got {expires_in_days!r} instead.")
    moment = _now(now)
    token = secrets.token_urlsafe(32)
    expires = None if expires_in_days is None else _stamp(moment + timedelta(days=expires_in_days))
    record = ws.add_share(project_id, token_sha256=token_sha256(token), label=label or "share link",
                          created_at=_stamp(moment), expires_at=expires, allow_predict=bool(allow_predict))
    return token, record


def share_status(share: dict, now: datetime | None = None) -> str:
    """'active', 'revoked' or 'expired'."""
    if share["revoked_at"] is not None:
        return "revoked"
    if share["expires_at"] is not None and datetime.fromisoformat(share["expires_at"]) <= _now(now):
        return "expired"
    return "active"


def list_shares(ws: Workspace, project_id: int, *, now: datetime | None = None) -> list[dict]:
    """A project's share links, newest first, each with its ``status``."""
    return [{**s, "status": share_status(s, now)} for s in ws.list_shares(project_id)]


def revoke_share(ws: Workspace, project_id: int, share_id: int, *, now: datetime | None = None) -> dict:
    """Revoke a link of this project at once: it opens nothing from its next use on."""
    share = ws.get_share(share_id)
    if share["project_id"] != project_id:
        raise NotFoundError(f"Share link {share_id} does not belong to this project.")
    return ws.revoke_share(share_id, _stamp(_now(now)))


def resolve_share(ws: Workspace, token: str, *, now: datetime | None = None, count_open: bool = False) -> dict:
    """The share record (``project_id``, ``allow_predict``, …) of a valid token; ShareError(INVALID_LINK) otherwise.

    ``count_open`` records this opening (how often, and when last, the link was used).
    """
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
        raise ShareError(INVALID_LINK)
    digest = token_sha256(token)
    share = ws.find_share(digest)
    if share is None or not hmac.compare_digest(share["token_sha256"], digest) or share_status(share, now) != "active":
        raise ShareError(INVALID_LINK)
    try:
        ws.get_project(share["project_id"])
    except NotFoundError:
        raise ShareError(INVALID_LINK) from None
    if count_open:
        ws.record_share_open(share["id"], _stamp(_now(now)))
    return share


# -- the report -------------------------------------------------------------------------------------------

def _champion(ws: Workspace, project: dict, board: pd.DataFrame, metric: str | None) -> Champion | None:
    trained = board[board["status"] == "ok"] if not board.empty else board
    if trained.empty:
        return None
    chosen = project["champion_model_id"] in set(trained["model_id"])
    # without a champion, the model Deploy and Monitor open on: the one Evaluate proposes
    opening = evaluation.opening_model(ws, project["id"], board)
    model_id = int(opening if opening in set(trained["model_id"]) else trained["model_id"].iloc[0])
    card = card_json(ws, model_id)
    predictions, classes = evaluation.validation_predictions(ws, model_id)
    test = card.get("test_metrics") or {}
    return Champion(model_id, f"#{model_id} {model_label(card['family'])}", chosen, card, model_card_markdown(card),
                    predictions, classes, test.get(metric) if metric else None)


def _leaderboard(board: pd.DataFrame, label: str) -> pd.DataFrame:
    """The latest run's trained models as the Evaluate page lists them by default (its baseline once)."""
    trained = board[(board["status"] == "ok") & (board["run_id"] == evaluation.latest_run(board))]
    table = pd.DataFrame({
        "model #": trained["model_id"], "run #": trained["run_id"], "model": trained["model"].map(model_label),
        f"validation {label}": trained["validation"], "decision threshold": trained["threshold"],
        "CV mean": trained["cv_mean"], "CV std": trained["cv_std"],
        f"test {label}": trained["test"], "fit time (s)": trained["fit_seconds"],
        "champion": trained["champion"].map({True: "yes", False: ""})}).reset_index(drop=True)
    return table.drop(columns="decision threshold") if table["decision threshold"].isna().all() else table


def report_data(ws: Workspace, project_id: int, *, now: datetime | None = None) -> ProjectReport:
    """Everything the shared report shows of a project: data summary and profile, leaderboard, champion."""
    project = ws.get_project(project_id)
    problem = projects.project_problem(ws, project_id)
    profile, dataset = None, None
    if project["dataset_id"]:
        dataset = ws.get_dataset(project["dataset_id"])["name"]
        frame = ws.load_dataset(project["dataset_id"])
        target, task = (problem.target, problem.task) if problem and problem.target in frame.columns else (None, None)
        profile = prof.profile(frame, projects.project_schema(ws, project_id), target, task)
    board = evaluation.leaderboard(ws, project_id)
    metric = board["metric"].dropna().iloc[0] if not board.empty and board["metric"].notna().any() else None
    label = METRICS[metric].label if metric in METRICS else (metric or "score")
    leaderboard = _leaderboard(board, label) if not board.empty else pd.DataFrame()
    return ProjectReport(project["name"], dataset, problem.target if problem else None,
                         problem.task if problem else None, label, profile, leaderboard,
                         _champion(ws, project, board, metric), _now(now).strftime("%Y-%m-%d %H:%M UTC"))


# -- try a prediction -------------------------------------------------------------------------------------

class FormField(NamedTuple):
    """One input of the prediction form: a model feature, its kind, a typical value and (categories) choices."""

    name: str
    kind: str
    value: object
    options: list | None


def _typical(series: pd.Series, kind: str) -> tuple[object, list | None]:
    present = series.dropna()
    if present.empty:
        return None, None
    if kind == "numeric":
        return float(pd.to_numeric(present, errors="coerce").median()), None
    counts = present.value_counts()
    shown = [v.item() if hasattr(v, "item") else v for v, n in counts.items() if shows_value(kind, len(counts), n)]
    if not shown:  # an identifier, free text, or only rare values: the visitor types one
        return None, None
    if kind in ("categorical", "boolean"):
        return shown[0], shown[:_OPTIONS]
    return str(shown[0]), None


def prediction_form(ws: Workspace, model_id: int) -> list[FormField]:
    """One field per feature of a model, prefilled with the median (numbers) or the most frequent value; a value
    ``shows_value`` refuses (an ID, an e-mail, free text, a rare category) is neither prefilled nor offered."""
    model = ws.get_model(model_id)
    run = ws.get_run(model["run_id"])
    frame = ws.load_dataset(run["dataset_id"])
    fields = []
    for feature in card_json(ws, model_id)["features"]:
        value, options = _typical(frame[feature["name"]], feature["kind"]) if feature["name"] in frame else (None, None)
        fields.append(FormField(feature["name"], feature["kind"], value, options))
    return fields


def predict_shared(ws: Workspace, token: str, values: dict, *, now: datetime | None = None) -> pd.DataFrame:
    """Score one row with the shared project's champion; the link is checked again first (a revoked link stops),
    and at most ``PREDICTIONS_PER_MINUTE`` a minute per link.

    Nothing is stored: visitors trying the form are not production traffic, so their rows never enter the
    model's prediction log (and with it its drift batches).
    """
    share = resolve_share(ws, token, now=now)
    if not share["allow_predict"]:
        raise ShareError("This link does not allow predictions; ask its owner for one that does.")
    _rate_limit(share["token_sha256"], _now(now).timestamp())
    project = ws.get_project(share["project_id"])
    report_model = _champion(ws, project, evaluation.leaderboard(ws, project["id"]), None)
    if report_model is None:
        raise ModelError("This project has no trained model yet, so there is nothing to predict with.")
    pipeline, card = ws.load_model(report_model.model_id)
    row = pd.DataFrame([{f["name"]: values.get(f["name"]) for f in card["features"]}])
    return predict_frame(pipeline, row, card["features"], card["task"],
                         evaluation.model_threshold(ws, report_model.model_id))


def _rate_limit(key: str, moment: float) -> None:
    """Count one prediction of link ``key`` at ``moment`` (seconds), or raise ShareError when its minute is full."""
    with _RECENT_LOCK:
        recent = _RECENT.setdefault(key, deque())
        while recent and recent[0] <= moment - 60:
            recent.popleft()
        if len(recent) >= PREDICTIONS_PER_MINUTE:
            wait = int(recent[0] + 60 - moment) + 1
            raise ShareError(f"This link has made {PREDICTIONS_PER_MINUTE} predictions in the last minute, its "
                             f"limit; try again in {wait} seconds.")
        recent.append(moment)
