"""A real Redis server for export tests: REDIS_URL, else 127.0.0.1:6379, else one we start."""

from __future__ import annotations

import uuid

import pytest
import redis

from ml.serving.redis_export import live_key, meta_key, staging_index_key


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
