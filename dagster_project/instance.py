"""The project's Dagster instance (instance/dagster.yaml, `instance_class`): Dagster's own, whose
default SQLite storage keeps its database connections open.

Dagster's SQLite storage opens a new SQLAlchemy engine and connection for every read and write,
and closes it after: for the event log that is once per event, and closing the last connection to
a database in WAL mode also checkpoints it. A refresh records a few hundred events (a planned
materialization per asset and check when the run is created, then each step's outputs,
materializations and check results), so that opening and closing was a large part of what a
small refresh spends outside its own steps. These classes keep one engine per database file
instead: the run storage's, the event log's index and the last few runs' files. The event log
also remembers which of its tables it has found: Dagster asks for every asset check event, on a
new connection each time. The data, the files and their schema are Dagster's, so the webserver,
the daemon and `dagster instance migrate` read and write them as before, and a `storage:`
setting in dagster.yaml (PostgreSQL, say) replaces all of this.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import (DagsterSqliteStorage, _event_logs_directory, _runs_directory,
                                                  _schedule_directory)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Engine, create_engine


class LiveCommerceInstance(dg.DagsterInstance):
    """A Dagster instance whose default storage is `SqliteStorageKeepingConnections`."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> dict:
        return {**InstanceRef.config_defaults(base_dir),
                "storage": ConfigurableClassData(__name__, SqliteStorageKeepingConnections.__name__,
                                                 yaml.dump({"base_dir": base_dir}, default_flow_style=False))}


class SqliteStorageKeepingConnections(DagsterSqliteStorage):
    """Dagster's SQLite storage in ``base_dir`` (the same files), with run and event log storages
    that keep their connections open."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorageKeepingConnections.from_local(_runs_directory(base_dir))
        self._event_log_storage = SqliteEventLogStorageKeepingConnections(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: dict):
        return cls.from_local(inst_data=inst_data, **config_value)


class _KeptEngines:
    """SQLAlchemy engines by database file, the least recently used closed beyond ``size``; a
    process forked from this one starts with none of them (its parent's connections are not its own).
    Each engine keeps one connection open; a thread that needs one while another thread holds it
    opens and closes one of its own, as Dagster's storage does for every use, instead of waiting."""

    def __init__(self, size: int):
        self._size = size
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._pid = os.getpid()

    def get(self, conn_string: str) -> Engine:
        if self._pid != os.getpid():
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._pid = os.getpid()
        engine = self._engines.pop(conn_string, None) or create_engine(
            conn_string, pool_size=1, max_overflow=-1,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
        self._engines[conn_string] = engine
        while len(self._engines) > self._size:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def close(self) -> None:
        while self._engines:
            self._engines.popitem()[1].dispose()


class SqliteRunStorageKeepingConnections(SqliteRunStorage):
    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None):
        self._kept = _KeptEngines(size=1)
        super().__init__(conn_string, inst_data)

    @contextmanager
    def connect(self) -> Iterator:
        with self._kept.get(self._conn_string).connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self._kept.close()
        super().dispose()


class SqliteEventLogStorageKeepingConnections(SqliteEventLogStorage):
    # The index file and the files of the runs used last (a run's events go to a file of its own).
    KEPT_FILES = 4

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._kept = _KeptEngines(size=self.KEPT_FILES)
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        # Dagster asks this for every asset check event (and every asset event with tags), each
        # time on a connection of its own; a table, once there, stays. Asked while the caller
        # holds the index's connection, so it must not wait for _db_lock.
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with self._db_lock:
            engine = self._kept.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def wipe(self) -> None:
        with self._db_lock:
            self._kept.close()  # before the run files go
            self._tables_found.clear()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self._kept.close()
        super().dispose()
