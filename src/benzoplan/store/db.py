"""Engines and sessions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys enforced and every transaction started with
``BEGIN IMMEDIATE``: writers queue on the database lock (``busy_timeout``) instead of failing
with a stale snapshot, which keeps the audit chain and idempotent diary writes serial.
PostgreSQL runs at READ COMMITTED; the audit chain serialises on an advisory lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from benzoplan.errors import InputError

__all__ = ["DEFAULT_URL", "is_sqlite", "make_engine", "make_sessionmaker"]

DEFAULT_URL = "sqlite:///benzoplan.db"


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def _normalise(url: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "postgresql" and u.get_driver_name() in ("", "psycopg2"):
        # psycopg 3 is the pinned driver.
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str = DEFAULT_URL, *, schema: str | None = None, reads_only: bool = False,
                **kwargs: Any) -> Engine:
    """An engine for ``url``; ``schema`` sets PostgreSQL's search_path (isolated test schemas).

    ``reads_only``: for sessions that only read — on SQLite their transactions do not take the
    write lock (WAL readers neither wait for nor block the writer).
    """
    try:
        url = _normalise(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for a malformed URL
        raise InputError(f"invalid database URL: {exc}", field="database_url") from exc
    if is_sqlite(url):
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 40)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60},
                               **kwargs)
        _sqlite_setup(engine, immediate=not reads_only)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)


def _sqlite_setup(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
