"""Dagster's SQLite event log, without a new engine, connection and fsync for every event.

Dagster's SqliteEventLogStorage creates an SQLAlchemy engine, opens the shard's file, commits
and closes it for each of the ~5,000 reads and writes of one refresh (every dbt node's
materialization, check result and pool claim). The commit fsyncs, and closing the last
connection of a WAL database checkpoints it: a third of a small refresh went there. This
subclass keeps one engine (and its open connection) per recently used shard and commits with
`synchronous=NORMAL`, which in WAL mode is still crash-safe (a power cut may lose the last
events, never corrupt the file). Files, tables and layout are Dagster's own, so the UI, the
daemon and `dagster instance migrate` see an ordinary SQLite instance.

Dagster's SQLite watcher (the UI's live run log) waits for the run's .db file to change, which
in WAL mode now happens only at a checkpoint; the UI polls instead, as it does on Postgres.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Field, StringSource
from dagster._core.storage.event_log.polling_event_watcher import SqlPollingEventWatcher
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Shards whose engine stays open: the index, the current run, and a few runs the UI is showing.
OPEN_SHARDS = 8


def _commit_without_fsync(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class RevopsEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage that reuses one engine per shard (see the module docstring)."""

    def __init__(self, base_dir: str | None = None, inst_data=None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._poller: SqlPollingEventWatcher | None = None
        if base_dir is None:
            if not os.environ.get("DAGSTER_HOME"):
                raise RuntimeError(
                    "RevopsEventLogStorage without base_dir keeps Dagster's default place, "
                    "$DAGSTER_HOME/history/runs: set DAGSTER_HOME to the instance's folder."
                )
            base_dir = os.path.join(os.environ["DAGSTER_HOME"], "history", "runs")
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        # Without base_dir: Dagster's default place, $DAGSTER_HOME/history/runs.
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> RevopsEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            # Shared by Dagster's threads, one at a time: _connect holds _db_lock.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            pool_size=1,
        )
        event.listen(engine, "connect", _commit_without_fsync)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_SHARDS:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # the lock is taken before the engine is looked up: _engine changes the open shards
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def watch(self, run_id: str, cursor: str | None, callback) -> None:
        if self._poller is None:
            self._poller = SqlPollingEventWatcher(self)
        self._poller.watch_run(run_id, cursor, callback)

    def end_watch(self, run_id: str, handler) -> None:
        if self._poller is not None:
            self._poller.unwatch_run(run_id, handler)

    def dispose(self) -> None:
        if self._poller is not None:
            self._poller.close()
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()
