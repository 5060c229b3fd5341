"""The raw input contract: which files, columns and types Scoreline reads (docs/contract.md).

Two tables, in the spirit of the Activity Schema: customers (id, first-seen time, the business's
declared attributes) and one customer activity stream (activity id, customer id, time, activity
name, nullable amount and quantity, declared activity attributes). The business vocabulary
(ml.ingest.business) says which attributes and activities exist. Files are checked before dbt
runs, so a missing column or a wrong type fails with an error naming the file and the column
instead of a binder error deep inside a staging view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ml.ingest.business import Attribute, Business

TABLES = ("customers", "activities")
INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT",
}  # fmt: skip
NULL_TYPE = '"NULL"'  # a column that is null in every row of a file
NUMBER_TYPES = INTEGER_TYPES | {"FLOAT", "DOUBLE", "DECIMAL", NULL_TYPE}
TIME_TYPES = {
    "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S",
    "DATE", "VARCHAR",
}  # fmt: skip

# kind -> (accepted DuckDB types, how the error describes them)
KINDS = {
    "id": (INTEGER_TYPES | {"VARCHAR"}, "an integer or text id"),
    "time": (TIME_TYPES, "a timestamp (or ISO-8601 text; unparseable values are quarantined)"),
    "text": ({"VARCHAR", NULL_TYPE}, "text"),
    "category": (INTEGER_TYPES | {"VARCHAR", NULL_TYPE}, "text (or an integer code)"),
    "number": (NUMBER_TYPES, "a number"),
}


class RawContractError(ValueError):
    """Raw files break the input contract; the message lists each file and column at fault."""


@dataclass(frozen=True)
class RawCheck:
    files_checked: int
    days: tuple[date, ...]


def _attribute_kind(attribute: Attribute) -> str:
    return "number" if attribute.type == "numeric" else "category"


def raw_contract(business: Business) -> dict[str, dict[str, tuple[str, str]]]:
    """table -> column -> (kind, meaning): the contract for one business's vocabulary."""
    customers = {
        "customer_id": ("id", "customer key"),
        "first_seen_at": ("time", "when the customer was first seen, UTC"),
    }
    for name, attribute in business.customers.attributes.items():
        customers[name] = (
            _attribute_kind(attribute),
            attribute.description or "declared attribute",
        )
    activities = {
        "activity_id": ("id", "activity key, unique within a day"),
        "customer_id": ("id", "customer key"),
        "activity_at": ("time", "activity time, UTC, before the end of the folder's day"),
        "activity": ("text", f"one of {', '.join(business.activities)}"),
    }
    if business.carries_amounts:
        activities["amount"] = ("number", "revenue or amount, >= 0; null where none")
    if business.carries_quantities:
        activities["quantity"] = ("number", "quantity or duration, >= 0; null where none")
    for name, attribute in business.activity_attributes.items():
        activities[name] = (
            _attribute_kind(attribute),
            attribute.description or "declared attribute",
        )
    return {"customers": customers, "activities": activities}


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


def newest_raw_day(raw_dir: Path) -> date | None:
    """The newest day folder holding a file of any table (an empty folder does not count)."""
    with_files = [day for day, folder in day_folders(raw_dir) if any(folder.glob("*.parquet"))]
    return with_files[-1] if with_files else None


def latest_raw_day(business: Business, today: date) -> date:
    """The newest day a raw folder may be named for: today plus the declared tolerance."""
    return today + timedelta(days=business.arrival.days_ahead)


def _future_folders(folders: list[tuple[date, Path]], latest: date | None) -> list[str]:
    """Folders dated after `latest`: a folder is named for the day its rows arrived, so one in
    the future is misnamed, and scoring its date would make every customer look inactive."""
    if latest is None:
        return []
    return [
        f"{folder}: dated after {latest} (today, plus the business's arrival.days_ahead); a "
        "folder is named for the day its rows arrived. Rename it to that day or remove it, "
        "then `scoreline build --reload-from <its real day>`"
        for day, folder in folders
        if day > latest
    ]


def default_score_date(raw_dir: Path, latest: date | None = None) -> date:
    """The day after the newest raw day of any table: what a run scores when given no date.

    The dbt macro `score_date()` applies the same rule when dbt runs by hand.

    Args:
        raw_dir: Root holding the day folders.
        latest: The newest day a folder may be named for (latest_raw_day); None: no bound.

    Raises:
        RawContractError: there is no raw day folder with a file, or one is dated after
            `latest`.
    """
    future = _future_folders(day_folders(raw_dir), latest)
    if future:
        raise RawContractError("raw day folder(s) in the future:\n  " + "\n  ".join(future))
    newest = newest_raw_day(raw_dir)
    if newest is None:
        raise RawContractError(
            f"no raw day folders (day=YYYY-MM-DD) with Parquet files under {raw_dir}: run "
            "`scoreline generate`, or set SCORELINE_RAW_DIR to your data."
        )
    return newest + timedelta(days=1)


def check_raw_files(
    raw_dir: Path,
    business: Business,
    since: date | None = None,
    until: date | None = None,
    latest: date | None = None,
) -> RawCheck:
    """Check every raw file of the days in [since, until) against the business's contract.

    A day may lack a table's file (no rows that day), but each table needs a file on some day.

    Args:
        raw_dir: Root holding `day=YYYY-MM-DD/<table>.parquet`.
        business: The vocabulary: which attribute and activity columns the files carry.
        since: First day to check (None: the oldest). A nightly run checks only its new days.
        until: Day after the last to check (None: the newest).
        latest: The newest day any folder may be named for (latest_raw_day); None: no bound.

    Returns:
        How many files and which days were checked.

    Raises:
        RawContractError: a file lacks a column or has a column of the wrong type, is empty or
            unreadable, a table has no file at all, there are no day folders, a folder is dated
            in the future or holds only activity long before its day. The message names every
            file and column at fault.
    """
    contract = raw_contract(business)
    all_folders = day_folders(raw_dir)
    folders = [
        (day, folder)
        for day, folder in all_folders
        if (since is None or day >= since) and (until is None or day < until)
    ]
    if not folders:
        raise RawContractError(
            f"no raw day folders (day=YYYY-MM-DD) under {raw_dir}"
            + (f" between {since} and {until}" if since or until else "")
            + ": run `scoreline generate`, or set SCORELINE_RAW_DIR to your data."
        )
    problems = _future_folders(all_folders, latest)
    problems += [
        f"no {table}.parquet in any day folder under {raw_dir}: every table needs a file on "
        "at least one day"
        for table in TABLES
        if not any((folder / f"{table}.parquet").exists() for _, folder in all_folders)
    ]
    files = 0
    con = duckdb.connect()
    # The newest day already loaded is the reference the new days must agree with.
    earlier = [item for item in all_folders if since is not None and item[0] < since]
    text_files: dict[tuple[str, str], dict[bool, list[Path]]] = {}
    for _, folder in earlier[-1:]:
        for table, columns in contract.items():
            path = folder / f"{table}.parquet"
            if path.exists() and path.stat().st_size > 0:
                try:
                    described = _describe(con, path)
                except duckdb.Error:
                    continue  # loaded already; the days being checked are what matters
                for name, dtype in zip(*described, strict=True):
                    if name in columns and dtype != NULL_TYPE:
                        key = (table, name)
                        text_files.setdefault(key, {}).setdefault(dtype == "VARCHAR", []).append(
                            path
                        )
    for day, folder in folders:
        for table, columns in contract.items():
            path = folder / f"{table}.parquet"
            if not path.exists():
                continue
            files += 1
            if path.stat().st_size == 0:
                problems.append(
                    f"{path}: an empty (0-byte) file; a day without rows of a table has no file "
                    "at all. Remove it, or write the day's rows again"
                )
                continue
            try:
                names, types = _describe(con, path)
            except duckdb.Error as exc:
                problems.append(
                    f"{path}: not a readable Parquet file, truncated or corrupt ({exc}); write "
                    "the day's file again"
                )
                continue
            if table == "activities" and "activity_at" in names:
                problems += _misdated(con, path, day, business.arrival.max_days_late)
            actual = {
                name: _normalise(str(dtype)) for name, dtype in zip(names, types, strict=True)
            }
            for column, (kind, meaning) in columns.items():
                accepted, described = KINDS[kind]
                if column not in actual:
                    problems.append(f"{path}: column '{column}' ({meaning}) is missing")
                    continue
                if actual[column] != NULL_TYPE:
                    by_text = text_files.setdefault((table, column), {})
                    by_text.setdefault(actual[column] == "VARCHAR", []).append(path)
                if actual[column] not in accepted:
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
            "See docs/contract.md for each table's columns and types, and the business's "
            "business.yml for its attributes and activities."
        )
    return RawCheck(files_checked=files, days=tuple(day for day, _ in folders))


def _mixed_customer_id_kinds(
    text_files: dict[tuple[str, str], dict[bool, list[Path]]],
) -> list[str]:
    """customer_id must be text in both tables or an integer in both.

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


def _misdated(
    con: duckdb.DuckDBPyConnection, path: Path, day: date, max_days_late: int
) -> list[str]:
    """A folder whose newest activity is long before its day is misnamed: loaded as that day,
    every customer would look inactive since. Read from the file's column statistics (text or
    timestamp alike), so checking a year of files costs no scan."""
    try:
        (newest,) = con.execute(
            "select max(try_cast(stats_max as timestamp)) from parquet_metadata(?) "
            "where path_in_schema = 'activity_at'",
            [str(path)],
        ).fetchone()
    except duckdb.Error:
        return []  # no statistics to read: the staging checks still judge every row
    if newest is None or newest.date() >= day - timedelta(days=max_days_late):
        return []
    return [
        f"{path}: its newest activity is at {newest}, more than {max_days_late} days before the "
        f"folder's day {day} (the business's arrival.max_days_late): the folder looks misdated. "
        "Rename it to the day its rows arrived, or raise arrival.max_days_late in business.yml "
        "if such late deliveries are expected"
    ]


def _describe(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], list[str]]:
    relation = con.read_parquet(str(path)).limit(0)
    return relation.columns, [str(t) for t in relation.types]
