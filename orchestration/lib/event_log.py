"""Dagster's SQLite event log, with its connections kept open for the life of the process.

Dagster's own SQLite event log opens a new SQLAlchemy engine for every read and write (its
dialect set-up queries included), commits, closes the last connection (which checkpoints the
WAL file) and throws the engine away: a 50k-customer night writes ~300 events and reads
upstream data versions for each table dbt materializes, and that was ~55% of the night's time
in the `scoreline` command (py-spy, 3 December), more than dbt and scoring together. This class
keeps one engine per database file and one connection per thread, serialized by the storage's
own lock as before. Reads and writes, tables and files are Dagster's own: the UI (`scoreline
dev`, another process) reads the same files, and a DAGSTER_POSTGRES_URL instance does not use
this class at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import SingletonThreadPool

# one file per run plus the index: a long backfill keeps only the newest runs' files open
OPEN_FILES = 4


def _durable_enough(connection, _record) -> None:
    """Commits without an fsync each (SQLite's NORMAL): a crashed process loses nothing, a
    power cut at most the last events of the run history; never the warehouse or what a
    night published, which are other files."""
    connection.execute("PRAGMA synchronous=NORMAL")


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose database connections outlive one statement (module doc)."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        # (the parent's set-up already connects)
        self._engines: OrderedDict = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> KeptOpenSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=SingletonThreadPool,
                    connect_args={
                        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                        "check_same_thread": False,
                    },
                )
                event.listen(engine, "connect", _durable_enough)
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
                while len(self._engines) > OPEN_FILES:
                    self._engines.popitem(last=False)[1].dispose()
            self._engines.move_to_end(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Asked before almost every event is stored (Dagster's own opens an engine each
        time); a table that exists keeps existing."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)  # (asked inside _connect: it must not take the lock)
        return table_name in self._tables

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()
