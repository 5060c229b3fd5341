"""dbt inside this process: the project is parsed once, then every invocation reuses it.

A dbt command in its own process pays, before its first model, a fresh interpreter, dbt's
import, loading the parsed project and connecting: ~7 s of a 1M-customer night whose models
and tests take ~6 s, and most of a small night. Here the parsed manifest stays in memory
(re-parsed when a project or business file, or the declarations, change) and each invocation
hands it to dbt's own programmatic runner (dbtRunner). Events reach the caller while dbt runs,
in the dict form of dbt's JSON log lines, so dagster-dbt turns them into Dagster events as it
does for its subprocess.

dbt reads its settings from the environment (env_var() in the project): an invocation sets its
own values for its duration, under a lock, and restores the rest afterwards. One invocation at
a time per process, which dbt requires of its runner anyway.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.config import Settings
from ml.warehouse.dbt_runner import project_files_changed_at, run_settings_env, update_environment

# The events a caller needs: node results (what dagster-dbt converts) and errors (its message).
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})
_DONE = object()
_lock = threading.Lock()
# Environment a parse never reads: the per-run settings (the run_setting macro reads them only
# while executing) and dagster-dbt's selection mode. A new score date must not re-parse.
NOT_PARSED = frozenset({*run_settings_env(None), "DBT_INDIRECT_SELECTION"})


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """os.environ with `values` applied (None unsets), restored on exit."""
    saved = {key: os.environ.get(key) for key in values}
    update_environment(os.environ, values)
    try:
        yield
    finally:
        update_environment(os.environ, saved)


def project_state(settings: Settings, env: Mapping[str, str | None]) -> tuple:
    """What a parsed manifest depends on: the project and business files' newest change and the
    environment dbt reads while parsing (paths, declarations; not NOT_PARSED)."""
    newest = project_files_changed_at(settings)
    parsed_env = sorted((key, value) for key, value in env.items() if key not in NOT_PARSED)
    return (str(settings.project_dir), str(settings.business_dir), newest, parsed_env)


@dataclass
class Invocation:
    """One running dbt command: iterate `events()`, then read `success` and `errors`."""

    args: tuple[str, ...]
    success: bool = False
    errors: list[str] = field(default_factory=list)
    exception: BaseException | None = None


class InProcessDbt:
    """dbt commands run in this process against one parsed project (see the module doc)."""

    def __init__(self) -> None:
        self._manifest: Any = None
        self._state: tuple | None = None

    def _parsed(self, settings: Settings, env: Mapping[str, str | None]) -> Any:
        from dbt.cli.main import dbtRunner

        state = project_state(settings, env)
        if self._manifest is None or state != self._state:
            # the project's own target folder: its partial-parse file spares a full parse. No
            # manifest.json: Dagster's definitions read the one written when they were built
            # (orchestration/defs/dbt_models.py), and writing it cost ~0.1 s a process.
            result = dbtRunner().invoke(
                ["parse", "--quiet", "--no-write-json",
                 *self._paths(settings, settings.dbt_target_dir)]
            )  # fmt: skip
            if not result.success:
                raise RuntimeError(f"dbt could not parse the project: {result.exception}")
            self._manifest, self._state = result.result, state
        return self._manifest

    @staticmethod
    def _paths(settings: Settings, target: Path) -> list[str]:
        return [
            "--project-dir", str(settings.project_dir),
            "--profiles-dir", str(settings.project_dir / "dbt_project"),
            "--target-path", str(target),
            "--log-path", str(target),
        ]  # fmt: skip

    def invoke(
        self,
        settings: Settings,
        args: Sequence[str],
        env: Mapping[str, str | None],
        target: Path,
    ) -> tuple[Invocation, Iterator[dict[str, Any]]]:
        """Start `dbt <args>` with `env` applied; artifacts (run_results.json) go to `target`.

        Returns the invocation and an iterator of its result and error events (dicts shaped
        like dbt's JSON log lines); the command has finished when the iterator is exhausted.
        """
        invocation = Invocation(args=tuple(args))
        return invocation, self._run(settings, invocation, env, target)

    def _run(
        self,
        settings: Settings,
        invocation: Invocation,
        env: Mapping[str, str | None],
        target: Path,
    ) -> Iterator[dict[str, Any]]:
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_dict

        events: queue.Queue = queue.Queue()

        def forward(message) -> None:
            name = message.info.name
            if name in RESULT_EVENTS or message.info.level == "error":
                events.put(msg_to_dict(message))

        def run(manifest: Any) -> None:
            try:
                # (dbt's own lines go to stdout as from its CLI: the operator's log file, or
                # the terminal with --verbose; the full debug log to <target>/dbt.log)
                result = dbtRunner(manifest=manifest, callbacks=[forward]).invoke(
                    [*invocation.args, *self._paths(settings, target)]
                )
                invocation.success = result.success
                invocation.exception = result.exception
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                invocation.exception = exc
            finally:
                events.put(_DONE)

        target.mkdir(parents=True, exist_ok=True)
        with _lock, environment({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env}):
            worker = threading.Thread(
                target=run, args=(self._parsed(settings, env),), name="dbt", daemon=True
            )
            worker.start()
            while (event := events.get()) is not _DONE:
                if event["info"]["level"] == "error":
                    invocation.errors.append(event["info"]["msg"])
                yield event
            worker.join()
            release_warehouse()


def release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process after a command: DuckDB
    refuses this process any other connection to the file (read-only readers included) while
    it is open with another configuration. The next command opens it again (milliseconds)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing of this kind to release
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


# One per process: the parsed project is what makes a second invocation cheap.
DBT = InProcessDbt()
