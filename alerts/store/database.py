"""The one database of the alerting service: an engine, a session factory, and the only place the
schema is created (every table of ``alerts.store.schema``, and later columns added in place).
SQLite in WAL mode by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alerts.store.schema import Base, add_missing_columns, make_engine


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached (retry later), as opposed to refusing one value."""
    return isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


class Database:
    """An engine and its sessions; ``open`` creates what is missing, the constructor does nothing."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Database:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        add_missing_columns(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.sessions() as session, session.begin():
            yield session


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows through the driver's executemany: the columns' own bind processors (UTC
    times, JSON) applied in one pass, without SQLAlchemy's per-row parameter machinery (a third of
    the ingest time at thousands of alerts a second). Every row has the keys of the first.
    SQLite only: psycopg adapts JSON and times itself, through SQLAlchemy's generic path."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    preparer = dialect.identifier_preparer
    sql = (
        f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)}) "
        f"VALUES ({', '.join(['?'] * len(names))})"
    )
    values = [
        tuple(
            value if process is None or value is None else process(value)
            for value, process in zip((row[n] for n in names), processors, strict=True)
        )
        for row in rows
    ]
    connection.exec_driver_sql(sql, values)
