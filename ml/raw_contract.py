"""The raw input contract: which files, columns and types Scoreline reads (see README).

Checked per file before dbt runs, so a missing column or a wrong type fails with an error that
names the file and the column instead of a binder error deep inside a staging view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
}
NUMBER_TYPES = INTEGER_TYPES | {"FLOAT", "DOUBLE", "DECIMAL", '"NULL"'}
TIME_TYPES = {
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_NS",
    "TIMESTAMP_MS",
    "TIMESTAMP_S",
    "DATE",
    "VARCHAR",
}

# kind -> (accepted DuckDB types, how the error describes them)
KINDS = {
    "id": (INTEGER_TYPES | {"VARCHAR"}, "an integer or text id"),
    "time": (TIME_TYPES, "a timestamp (or ISO-8601 text; unparseable values are quarantined)"),
    "text": ({"VARCHAR"}, "text"),
    "number": (NUMBER_TYPES, "a number"),
}

# table -> column -> (kind, meaning). The README's contract table is this, in words.
RAW_CONTRACT: dict[str, dict[str, tuple[str, str]]] = {
    "customers": {
        "customer_id": ("id", "customer key"),
        "signup_at": ("time", "signup time, UTC"),
        "plan": ("text", "plan name: basic, standard or premium"),
        "monthly_price": ("number", "monthly price at signup"),
        "region": ("text", "region"),
        "channel": ("text", "acquisition channel"),
    },
    "events": {
        "event_id": ("id", "event key, unique within a day"),
        "customer_id": ("id", "customer key"),
        "event_at": ("time", "event time, UTC, within the folder's day"),
        "event_type": (
            "text",
            "login, session, purchase, support_ticket, payment_failed or plan_change",
        ),
        "amount": ("number", "purchase amount, failed payment amount or new plan price; >= 0"),
        "duration_seconds": ("number", "session length in seconds; >= 0"),
    },
    "cancellations": {
        "customer_id": ("id", "customer key"),
        "cancelled_at": ("time", "cancellation time, UTC"),
        "reason": ("text", "free-text or coded reason"),
    },
}


class RawContractError(ValueError):
    """Raw files break the input contract; the message lists each file and column at fault."""


@dataclass(frozen=True)
class RawCheck:
    files_checked: int
    days: tuple[date, ...]


def _normalise(duckdb_type: str) -> str:
    return "DECIMAL" if duckdb_type.startswith("DECIMAL") else duckdb_type


def day_folders(raw_dir: Path) -> list[tuple[date, Path]]:
    """The `day=YYYY-MM-DD` folders under raw_dir, oldest first."""
    folders = []
    for folder in Path(raw_dir).glob("day=*"):
        try:
            folders.append((date.fromisoformat(folder.name.removeprefix("day=")), folder))
        except ValueError as exc:
            raise RawContractError(
                f"raw folder {folder}: name must be day=YYYY-MM-DD ({exc})"
            ) from exc
    return sorted(folders)


def check_raw_files(
    raw_dir: Path, since: date | None = None, until: date | None = None
) -> RawCheck:
    """Check every raw file of the days in [since, until) against the contract.

    Args:
        raw_dir: Root holding `day=YYYY-MM-DD/<table>.parquet`.
        since: First day to check (None: the oldest). A nightly run checks only its new days.
        until: Day after the last to check (None: the newest).

    Returns:
        How many files and which days were checked.

    Raises:
        RawContractError: a file lacks a column or has a column of the wrong type, or there
            are no day folders at all. The message names every file and column at fault.
    """
    all_folders = day_folders(raw_dir)
    folders = [
        (day, folder)
        for day, folder in all_folders
        if (since is None or day >= since) and (until is None or day < until)
    ]
    # The newest day already loaded is the reference the new days must agree with.
    earlier = [item for item in all_folders if since is not None and item[0] < since]
    if not folders:
        raise RawContractError(
            f"no raw day folders (day=YYYY-MM-DD) under {raw_dir}"
            + (f" between {since} and {until}" if since or until else "")
            + ": run `scoreline generate`, or set SCORELINE_RAW_DIR to your data."
        )
    problems: list[str] = []
    files = 0
    con = duckdb.connect()
    text_files: dict[tuple[str, str], dict[bool, list[Path]]] = {}
    for _, folder in earlier[-1:]:
        for table, columns in RAW_CONTRACT.items():
            path = folder / f"{table}.parquet"
            if path.exists():
                for name, dtype in zip(*_describe(con, path), strict=True):
                    if name in columns:
                        key = (table, name)
                        text_files.setdefault(key, {}).setdefault(dtype == "VARCHAR", []).append(
                            path
                        )
    for _, folder in folders:
        for table, columns in RAW_CONTRACT.items():
            path = folder / f"{table}.parquet"
            if not path.exists():
                problems.append(f"{path}: file missing (write an empty file on days without rows)")
                continue
            files += 1
            actual = {
                name: _normalise(str(dtype))
                for name, dtype in zip(*_describe(con, path), strict=True)
            }
            for column, (kind, meaning) in columns.items():
                accepted, described = KINDS[kind]
                if column in actual:
                    by_text = text_files.setdefault((table, column), {})
                    by_text.setdefault(actual[column] == "VARCHAR", []).append(path)
                if column not in actual:
                    problems.append(f"{path}: column '{column}' ({meaning}) is missing")
                elif actual[column] not in accepted:
                    problems.append(
                        f"{path}: column '{column}' has type {actual[column]}, expected {described}"
                    )
    for (table, column), by_text in text_files.items():
        if len(by_text) > 1:
            problems.append(
                f"{table}.{column} is text in {len(by_text[True])} file(s) (e.g. "
                f"{by_text[True][0]}) but typed in {len(by_text[False])} (e.g. "
                f"{by_text[False][0]}): all days are read as one table, so give the column "
                "one type in every file"
            )
    problems += _mixed_customer_id_kinds(text_files)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise RawContractError(
            f"{len(problems)} raw input contract violation(s):\n  {shown}{more}\n"
            "See the README section 'Raw input contract' for each table's columns and types."
        )
    return RawCheck(files_checked=files, days=tuple(day for day, _ in folders))


def _mixed_customer_id_kinds(
    text_files: dict[tuple[str, str], dict[bool, list[Path]]],
) -> list[str]:
    """customer_id must be text in every table or integer in every table.

    The warehouse keeps ids in their raw type (integers join and group a third faster than
    text), so an integer id in one table and a text id in another would not join.
    """
    kinds: dict[str, tuple[bool, Path]] = {}  # table -> (is text, an example file)
    for (table, column), by_text in text_files.items():
        if column == "customer_id" and len(by_text) == 1:  # mixed within a table: reported above
            ((is_text, paths),) = by_text.items()
            kinds[table] = (is_text, paths[0])
    text = {table: path for table, (is_text, path) in kinds.items() if is_text}
    typed = {table: path for table, (is_text, path) in kinds.items() if not is_text}
    if not text or not typed:
        return []
    return [
        f"customer_id is text in {', '.join(sorted(text))} (e.g. {next(iter(text.values()))}) "
        f"but an integer in {', '.join(sorted(typed))} (e.g. {next(iter(typed.values()))}): "
        "the tables join on it, so give it one type in every table"
    ]


def _describe(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], list[str]]:
    relation = con.sql(f"select * from read_parquet('{path}') limit 0")
    return relation.columns, [str(t) for t in relation.types]
