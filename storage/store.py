"""The state store: one SQLAlchemy database shared by the policy layer, the ledger and the audit
log.

A SQLite file by default, PostgreSQL by URL; the same schema and the same code on both.

Why this module exists: caps, balances and approvals must hold when several server processes
share one database. Every write therefore runs in `Store.write(*lock_keys)`:

- on SQLite the transaction starts with `BEGIN IMMEDIATE`, which takes the database's single
  write lock up front (other writers wait up to `busy_timeout`), so read-check-write sequences
  cannot interleave;
- on PostgreSQL it takes `pg_advisory_xact_lock` on each key (sorted, so two writers never
  deadlock on each other's keys); the locks are released at commit or rollback.

Schemas are versioned per component (`policies`, `ledger`, ...): each component owns an ordered
list of migrations, and `Store.migrate()` applies the missing ones under a lock, recording them in
`schema_migrations`. A migration, once released, is never edited: schema changes append one.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "DEFAULT_DATABASE_FILENAME",
    "Component",
    "Migration",
    "Store",
    "StoreError",
    "chunks",
    "default_database_url",
    "lock_id",
    "user_data_dir",
]

DEFAULT_DATABASE_FILENAME = "loyalty.sqlite3"

T = TypeVar("T")

Migration = Callable[[Connection], None]
"""A schema step: receives a connection inside the migration transaction."""


class StoreError(Exception):
    """The database is unusable (bad URL, unreachable, schema newer than this code)."""


@dataclass(frozen=True)
class Component:
    """A named owner of tables and of the ordered migrations that create and change them."""

    name: str
    migrations: Sequence[Migration]


_migrations_table = sa.Table(
    "schema_migrations",
    sa.MetaData(),
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
)


_LOCK_ALL = sa.text(
    "SELECT pg_advisory_xact_lock(id) FROM unnest(CAST(:ids AS bigint[])) AS ids(id)"
)


def default_database_url() -> str:
    """`LOYALTY_DATABASE_URL`, else a SQLite file in the user data directory."""
    url = os.environ.get("LOYALTY_DATABASE_URL", "").strip()
    if url:
        return url
    folder = user_data_dir("mews-loyalty")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DEFAULT_DATABASE_FILENAME}"


def user_data_dir(app: str) -> Path:
    """`platformdirs.user_data_dir(app)`, or the same rules where platformdirs is not installed
    (the default database must not depend on an optional import succeeding)."""
    try:
        platformdirs = importlib.import_module("platformdirs")
    except ImportError:
        home = Path.home()
        if sys.platform == "win32":
            return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / app / app
        if sys.platform == "darwin":
            return home / "Library" / "Application Support" / app
        return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / app
    return Path(str(platformdirs.user_data_dir(app)))


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`: a long `IN (...)` list or a bulk insert
    goes to the database a slice at a time."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lock_id(key: str) -> int:
    """A stable signed 64-bit id for an advisory lock key (same in every process)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Store:
    """A database handle with serialized write transactions and versioned migrations."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"LOYALTY_DATABASE_URL is not a database URL: {url!r}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(parsed, busy_timeout_s)
        elif self.dialect == "postgresql":
            if parsed.drivername == "postgresql":  # prefer psycopg 3 over the psycopg2 default
                parsed = parsed.set(drivername="postgresql+psycopg")
            self.engine = sa.create_engine(parsed, pool_pre_ping=True)
        else:
            raise StoreError(
                f"unsupported database {self.dialect!r}: use sqlite:///PATH or postgresql://..."
            )

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def write(self, *lock_keys: str) -> Iterator[Connection]:
        """A write transaction holding the given locks until commit; rolls back on error."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                self.lock(conn, *lock_keys)
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot on both databases)."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                # The default READ COMMITTED takes a new snapshot for every statement.
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def single(self) -> Iterator[Connection]:
        """A connection for one statement outside any transaction: a single statement is its
        own snapshot on both databases, so a one-statement read needs no BEGIN and COMMIT
        round trips. Never for several statements that must agree (use `read`)."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            else:  # pysqlite runs in autocommit already (see `_on_connect`): emit no BEGIN
                conn = conn.execution_options(sqlite_begin=None)
            yield conn

    def lock(self, conn: Connection, *lock_keys: str) -> None:
        """Take more locks inside an open write transaction (PostgreSQL; SQLite holds them all)."""
        if self.dialect == "postgresql" and lock_keys:
            # One round trip for all keys: unnest yields the ids in array order (sorted by key),
            # and the locks are taken row by row in that order.
            ids = [lock_id(key) for key in sorted(set(lock_keys))]
            conn.execute(_LOCK_ALL, {"ids": ids})

    # ------------------------------------------------------------------ schema
    def migrate(self, components: Sequence[Component]) -> dict[str, int]:
        """Apply missing migrations of each component; returns the version of each afterwards."""
        versions: dict[str, int] = {}
        with self.write("schema_migrations") as conn:
            _migrations_table.create(conn, checkfirst=True)
            rows = conn.execute(sa.select(_migrations_table)).all()
            current = {row.component: row.version for row in rows}
            for component in components:
                have = current.get(component.name, 0)
                latest = len(component.migrations)
                if have > latest:
                    raise StoreError(
                        f"database schema of {component.name!r} is version {have}, newer than "
                        f"this program knows ({latest}); upgrade the program"
                    )
                for step in component.migrations[have:]:
                    step(conn)
                if latest != have:
                    now = datetime.now(UTC).isoformat(timespec="seconds")
                    if have == 0:
                        conn.execute(
                            _migrations_table.insert().values(
                                component=component.name, version=latest, applied_at=now
                            )
                        )
                    else:
                        conn.execute(
                            _migrations_table.update()
                            .where(_migrations_table.c.component == component.name)
                            .values(version=latest, applied_at=now)
                        )
                versions[component.name] = latest
        return versions

    def schema_versions(self) -> dict[str, int]:
        """What `migrate` has recorded so far (empty for a new database)."""
        with self.read() as conn:
            if not sa.inspect(conn).has_table("schema_migrations"):
                return {}
            return {r.component: r.version for r in conn.execute(sa.select(_migrations_table))}

    def dispose(self) -> None:
        """Close pooled connections (tests and short-lived commands)."""
        self.engine.dispose()


def _sqlite_synchronous() -> str:
    value = os.environ.get("LOYALTY_SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    if value not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise StoreError(f"LOYALTY_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {value!r}")
    return value


def _sqlite_engine(url: sa.URL, busy_timeout_s: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    in_memory = database in ("", ":memory:")
    engine = sa.create_engine(
        url,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
        # one shared connection for an in-memory database, or each connection would see its own
        poolclass=sa.pool.StaticPool if in_memory else sa.pool.QueuePool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below (pysqlite would otherwise
        # issue its own deferred BEGIN, which cannot take the write lock up front).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a process crash (what the ledger promises); set
        # LOYALTY_SQLITE_SYNCHRONOUS=FULL to survive a power cut too, at an fsync per commit.
        cursor.execute(f"PRAGMA synchronous={_sqlite_synchronous()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: `Store.single`, one statement in autocommit
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
