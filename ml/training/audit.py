"""The append-only record of every alias move: who moved which alias, when, why, from, to.

MLflow aliases keep no history, and a registered-model tag holds 5,000 characters, so the moves
live in their own SQLite file (Settings.audit_db). Triggers refuse UPDATE and DELETE: an entry,
once written, is never changed or dropped. The registry writes the entry in the same
transaction as it moves the alias, so a move is recorded exactly when it happened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
create table if not exists alias_moves (
    id integer primary key autoincrement,
    model text not null,
    alias text not null,
    version integer not null,
    previous integer,
    at text not null,
    by text not null,
    why text not null
);
create index if not exists alias_moves_by_model on alias_moves (model, id);
"""


def append_only(table: str) -> str:
    """Triggers that refuse UPDATE and DELETE on an audit table (alias moves, retractions)."""
    return "".join(
        f"create trigger if not exists {table}_no_{verb} before {verb} on {table}\n"
        f"begin select raise(abort, '{table} is append-only'); end;\n"
        for verb in ("update", "delete")
    )


@dataclass(frozen=True)
class AliasMove:
    model: str
    alias: str
    version: int
    previous: int | None
    at: str  # ISO time, UTC
    by: str
    why: str


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    con.executescript(SCHEMA + append_only("alias_moves"))
    return con


@contextmanager
def recording(path: Path, move: AliasMove) -> Iterator[None]:
    """Write `move`, run the block (the alias move itself), then commit; roll back if it fails."""
    con = _connect(path)
    try:
        with con:  # commits on success, rolls back on an exception from the block
            con.execute(
                "insert into alias_moves (model, alias, version, previous, at, by, why) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (move.model, move.alias, move.version, move.previous, move.at, move.by, move.why),
            )
            yield
    finally:
        con.close()


def moves(path: Path, model: str) -> list[AliasMove]:
    """Every recorded move of a model's aliases, oldest first."""
    if not path.exists():
        return []
    con = _connect(path)
    try:
        rows = con.execute(
            "select model, alias, version, previous, at, by, why from alias_moves "
            "where model = ? order by id",
            (model,),
        ).fetchall()
    finally:
        con.close()
    return [AliasMove(*row) for row in rows]
