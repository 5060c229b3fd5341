"""One writer per warehouse: a run launched from `scoreline` holds an exclusive lock on its
data directory, so a second night, build or backfill started meanwhile refuses at once with
who holds it, instead of running beside it (DuckDB takes one writing process; two nights
interleaving their steps would publish a mix).

The lock is an OS file lock (flock): the kernel drops it when its process ends, so a killed run
leaves no stale lock behind. Runs launched from the Dagster UI wait in the instance's run queue
(max_concurrent_runs: 1, see runner.instance_config), which counts the runs `scoreline` starts.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ml.config import Settings


class WarehouseBusy(RuntimeError):
    """Another run is writing this data directory; says which and what to do."""


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / "writer.lock"


_held: set[Path] = set()  # locks this process holds: a job run inside a held run proceeds


@contextmanager
def single_writer(settings: Settings, what: str) -> Iterator[None]:
    """Hold the data directory's writer lock for `what` (e.g. "nightly_job 2026-06-01").

    Raises:
        WarehouseBusy: another process holds it; the message names it and since when.
    """
    path = lock_path(settings)
    if path in _held:  # e.g. the nights of a backfill inside the backfill's own lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 (held open for the duration of the lock)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _describe(handle.read())
            raise WarehouseBusy(
                f"{what} refused: {holder} is writing {settings.data_dir}. Wait for it to end "
                "(its progress is in the Dagster UI, `scoreline dev`), or stop it; a stopped "
                "run leaves the last good published results in place."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "pid": os.getpid(), "what": what, "command": " ".join(sys.argv),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }))  # fmt: skip
        handle.flush()
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _describe(text: str) -> str:
    try:
        holder = json.loads(text)
    except ValueError:
        return "another run"
    return f"{holder['what']} (pid {holder['pid']}, `{holder['command']}`, since {holder['since']})"
