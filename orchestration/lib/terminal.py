"""What an operator sees of a `scoreline` command: progress bars and one line per step.

Dagster, dbt (in process, or a subprocess writing to the inherited descriptors) and the
libraries they load print hundreds of lines a night. Unless `--verbose`, everything written to
file descriptors 1 and 2 goes to a log file under the data directory, whose path is printed;
the terminal keeps only what this module writes through the descriptors it saved first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tqdm import tqdm


class Terminal:
    """The operator's screen while a command runs; `say` and `progress` always reach it."""

    def __init__(self, out: IO[str], err: IO[str], log_path: Path | None) -> None:
        self.out = out
        self.err = err
        self.log_path = log_path

    def say(self, text: str = "") -> None:
        """A line on stdout; a progress bar on the same stream is redrawn below it."""
        tqdm.write(text, file=self.out)
        self.out.flush()

    def warn(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    @property
    def bars(self) -> IO[str]:
        """The stream progress bars draw on (the one `say` writes to, so they interleave)."""
        return self.out


@contextmanager
def terminal(logs_dir: Path, command: str, verbose: bool) -> Iterator[Terminal]:
    """Route the process's output to `<logs_dir>/<UTC time>-<command>.log` unless verbose.

    The descriptors, not just sys.stdout, are redirected: a dbt child process inherits them,
    and Dagster's and dbt's handlers hold references to the original streams.
    """
    if verbose:
        yield Terminal(sys.stdout, sys.stderr, None)
        return
    logs_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = logs_dir / f"{stamp}-{command}.log"
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    out = os.fdopen(os.dup(saved_out), "w", buffering=1)
    err = os.fdopen(os.dup(saved_err), "w", buffering=1)
    with open(log_path, "ab", buffering=0) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield Terminal(out, err, log_path)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            out.close()
            err.close()
