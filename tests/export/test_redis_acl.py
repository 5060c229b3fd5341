"""The production Redis users on a real server started with Scoreline's ACL file: the exporter
writes only Scoreline's keys, a reader reads and cannot write, the default user is off."""

from __future__ import annotations

from datetime import date

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ml.serving.redis_acl import acl_file
from ml.serving.redis_export import export_high_risk, live_key
from ml.serving.risk_lookup import RiskLookup
from tests.conftest import start_redis_server
from tests.export.test_redis_export import rows

PASSWORDS = {"scoreline-exporter": "exporter-test-secret", "scoreline-reader": "reader-secret"}


@pytest.fixture(scope="module")
def acl_server(tmp_path_factory):
    """A redis-server of its own on a free loopback port, users from acl_file()."""
    folder = tmp_path_factory.mktemp("redis-acl")
    (folder / "users.acl").write_text(acl_file(PASSWORDS))
    server, port = start_redis_server(folder, "--aclfile", str(folder / "users.acl"))
    if server.poll() is not None:  # a refused ACL file ends the server at once
        pytest.fail(f"redis-server refused Scoreline's ACL file: {folder / 'users.acl'}")
    url = f"redis://{{user}}:{{password}}@127.0.0.1:{port}/0"
    yield lambda user: redis.Redis.from_url(url.format(user=user, password=PASSWORDS[user]))
    server.terminate()
    server.wait()


def test_the_exporter_exports_and_a_reader_reads_but_neither_leaves_scorelines_keys(acl_server):
    exporter, reader = acl_server("scoreline-exporter"), acl_server("scoreline-reader")
    day = date(2026, 6, 1)
    export_high_risk(exporter, rows(range(50), day, 0.7), "churn", day, 60)
    risk = RiskLookup(reader, "churn").get("c7")
    assert risk.is_high_risk and risk.score == pytest.approx(0.7)
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.hset(live_key("churn"), "c7", "{}")  # a reader cannot write
    with pytest.raises(redis.exceptions.ResponseError, match="can't run this command"):
        reader.eval("return redis.call('DEL', KEYS[1])", 1, live_key("churn"))  # nor by script
    with pytest.raises(redis.exceptions.NoPermissionError):
        exporter.set("sessions:42", "x")  # the exporter stays inside Scoreline's keys
    with pytest.raises(redis.exceptions.NoPermissionError):
        exporter.flushall()


def test_the_default_user_is_off_and_a_wrong_password_is_refused(acl_server):
    server = acl_server("scoreline-reader").connection_pool.connection_kwargs
    once = {"host": server["host"], "port": server["port"], "retry": Retry(NoBackoff(), 0)}
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(**once).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(**once, username="scoreline-reader", password="guess").ping()
