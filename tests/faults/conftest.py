"""Fault tests start, stop, hang and kill real processes: a Redis server of their own (the
shared one must keep serving the other tests), publishers and exporters in child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ml.config import PROJECT_DIR
from tests.conftest import start_redis_server


@dataclass
class OwnRedis:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, timeout: float | None = None) -> redis.Redis:
        """How an application connects: with a timeout, no retries, the default instead."""
        return redis.Redis(
            port=self.port, socket_timeout=timeout, socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )  # fmt: skip

    def hang(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def own_redis(tmp_path) -> OwnRedis:
    process, port = start_redis_server(tmp_path)
    server = OwnRedis(process, port)
    yield server
    server.resume()
    process.kill()
    process.wait()


def child(code: str) -> subprocess.Popen:
    """A Python child process running `code` from the project root, its stdout a pipe."""
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
        cwd=PROJECT_DIR, env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    )  # fmt: skip


def kill_9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
