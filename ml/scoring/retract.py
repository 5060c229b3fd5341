"""Retracting a published score date: an operator's correction of a wrong night.

A night that passed its checks can still be wrong (a misdated raw day, a bug found later), and
an older, correct date never replaces a newer export on its own. Retracting date D for a model:

1. moves D's published files (predictions, drift history, feature drift) out of the readers'
   folders into `published/.retracted/<when>/`, kept, never deleted, and rewrites the SQL views
   without them; readers then see the last good date;
2. points the Redis export back at the newest remaining published date (or withdraws it, so
   applications answer with the safe default) when D is what it serves;
3. records who, when, why and what in an append-only audit (`<data dir>/audit/retractions.sqlite`,
   triggers refuse UPDATE and DELETE).

A corrected rerun or backfill of D then publishes and exports as usual.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import redis

from ml.config import Settings
from ml.scoring.file_versions import retire
from ml.scoring.publish import published_dates, published_path, read_published_file
from ml.serving.read_model import write_sql_database
from ml.serving.redis_export import export_high_risk, export_metadata, high_risk_rows, withdraw
from ml.training.audit import append_only
from ml.training.specs import ModelSpec

# The published tables of a score date that readers see.
RETRACTED_TABLES = ("predictions", "drift_history", "feature_drift")

SCHEMA = """
create table if not exists retractions (
    id integer primary key autoincrement,
    model text not null,
    score_date text not null,
    at text not null,
    by text not null,
    why text not null,
    files_moved integer not null,
    redis text not null
);
""" + append_only("retractions")


class RetractError(ValueError):
    """Nothing to retract; says what is published."""


@dataclass(frozen=True)
class Retraction:
    model: str
    score_date: date
    files_moved: int
    kept_in: Path
    redis: str  # what readers of the export see now


def audit_path(settings: Settings) -> Path:
    return settings.data_dir / "audit" / "retractions.sqlite"


def retract(
    settings: Settings, spec: ModelSpec, score_date: date, client: redis.Redis, who: str, why: str
) -> Retraction:
    """Withdraw one model's published score date from readers and from Redis, with an audit
    entry (see the module docstring).

    Raises:
        RetractError: the date is not published for the model, or no reason was given.
    """
    if not why.strip():
        raise RetractError("give a reason (--reason): it is kept in the audit")
    if score_date not in published_dates(settings, "predictions", spec.name):
        shown = ", ".join(map(str, published_dates(settings, "predictions", spec.name)[-5:]))
        raise RetractError(
            f"{spec.name} has no published predictions for {score_date} (newest: {shown or 'none'})"
        )
    at = datetime.now(UTC)
    kept_in = settings.published_dir / ".retracted" / at.strftime("%Y%m%dT%H%M%SZ")
    moved = 0
    for table in RETRACTED_TABLES:
        source = published_path(settings, table, spec.name, score_date)
        if source.exists():
            # readers see the file or not, never half of it; queries under way finish on it
            retire(source, kept_in / source.relative_to(settings.published_dir))
            moved += 1
    write_sql_database(settings)
    redis_now = _point_export_back(settings, spec, score_date, client)
    with sqlite3.connect(_ensure(audit_path(settings))) as con:
        con.executescript(SCHEMA)
        con.execute(
            "insert into retractions (model, score_date, at, by, why, files_moved, redis) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            (spec.name, score_date.isoformat(), at.isoformat(timespec="seconds"), who, why,
             moved, redis_now),
        )  # fmt: skip
    return Retraction(spec.name, score_date, moved, kept_in, redis_now)


def _point_export_back(
    settings: Settings, spec: ModelSpec, score_date: date, client: redis.Redis
) -> str:
    served = export_metadata(client, spec.name).get("score_date")
    if served != score_date.isoformat():
        return f"unchanged (serves {served or 'nothing'})"
    remaining = [d for d in published_dates(settings, "predictions", spec.name) if d < score_date]
    if not remaining:
        withdraw(client, spec.name, score_date)
        return "withdrawn: readers answer with the safe default"
    previous = remaining[-1]
    rows = high_risk_rows(
        read_published_file(settings, "predictions", spec.name, previous), spec.high_risk_threshold
    )
    export_high_risk(
        client, rows, spec.name, previous, spec.redis_ttl_seconds, replaces_retracted=score_date
    )
    return f"serves {previous} again"


def retractions(settings: Settings) -> list[dict]:
    """Every retraction, oldest first."""
    path = audit_path(settings)
    if not path.exists():
        return []
    with sqlite3.connect(path) as con:
        con.row_factory = sqlite3.Row
        return [dict(row) for row in con.execute("select * from retractions order by id")]


def _ensure(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
