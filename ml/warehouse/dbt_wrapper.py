"""`scoreline-dbt`: dbt with one invocation's own environment, from a file in its target folder.

dagster-dbt starts dbt with a copy of the launching process's environment and a target folder
of its own per invocation. Scoreline's per-run settings (score date, reload, tests scope) and
paths therefore travel in `<target>/scoreline_env.json`, written by the asset before it starts
dbt, instead of being set in the Dagster process's environment, where a second run in the same
process (the UI's code server, a backfill) could see them. This wrapper reads the file, applies
it to dbt's environment only, and replaces itself with dbt.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

INVOCATION_ENV = "scoreline_env.json"
# Set by dagster-dbt for each invocation; the file never overrides them.
OWNED_BY_DAGSTER = ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROJECT_DIR", "DBT_PROFILES_DIR")


def update_environment(env: MutableMapping[str, str], values: Mapping[str, str | None]) -> None:
    """Set each value in `env`; None removes the variable."""
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value


def write_invocation_env(target_path: Path, values: Mapping[str, str | None]) -> None:
    """Record the environment one dbt invocation runs with (None unsets a variable)."""
    target_path.mkdir(parents=True, exist_ok=True)
    kept = {key: value for key, value in values.items() if key not in OWNED_BY_DAGSTER}
    (target_path / INVOCATION_ENV).write_text(json.dumps(kept, sort_keys=True))


def invocation_env(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with the invocation file of its DBT_TARGET_PATH applied, if there is one."""
    env = dict(environ)
    target = env.get("DBT_TARGET_PATH")
    path = Path(target) / INVOCATION_ENV if target else None
    if path is None or not path.exists():
        return env
    update_environment(env, json.loads(path.read_text()))
    return env


def dbt_path() -> str:
    """The dbt beside this interpreter (the project's venv)."""
    return str(Path(sys.executable).with_name("dbt"))


def main() -> None:
    dbt = dbt_path()
    os.execve(dbt, [dbt, *sys.argv[1:]], invocation_env(os.environ))
