"""Open the server database: SQLite by default, PostgreSQL for teams; schema kept by Alembic.

On SQLite every writing transaction starts with BEGIN IMMEDIATE. Ingest reads a session's
state and then appends to it; a deferred transaction would let two writers read the same
state and the later one fail at its first write, where IMMEDIATE makes it wait its turn.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DB_ENV = "TAPEVIEW_SERVER_DB"
MIGRATIONS = "app.server:migrations"
VERSION_TABLE = "tapeview_server_version"
_WRITE_OPTION = "tapeview_write"


class DatabaseOpenError(RuntimeError):
    """The database cannot be used as a Tapeview server database; the message says why."""


def resolve_db_url(location: str | os.PathLike[str] | None = None) -> str:
    """`--db`, else `$TAPEVIEW_SERVER_DB`, else server.sqlite3 in the user data directory.
    Plain paths are SQLite files; anything with `://` is a SQLAlchemy URL."""
    location = location or os.environ.get(DB_ENV) or (
        Path(platformdirs.user_data_dir("tapeview", appauthor=False)) / "server.sqlite3")
    text = os.fspath(location)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().absolute()}"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


class ServerDatabase:
    """One engine per process; a unit of work per request, via `read()` or `write()`."""

    def __init__(self, location: str | os.PathLike[str] | None = None) -> None:
        self.url = resolve_db_url(location)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(self.url, self.is_sqlite)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._check_and_upgrade()

    @property
    def description(self) -> str:
        """Where the database is, for people (no password)."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _check_and_upgrade(self) -> None:
        config = alembic_config()
        script = ScriptDirectory.from_config(config)
        try:
            with self.engine.begin() as connection:
                current = MigrationContext.configure(
                    connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
                if current is None and set(inspect(connection).get_table_names()):
                    raise DatabaseOpenError(
                        f"{self.description} holds other data and is not a Tapeview server "
                        "database; choose another --db.")
                if current is not None and current not in {r.revision
                                                           for r in script.walk_revisions()}:
                    raise DatabaseOpenError(
                        f"{self.description} was written by a newer Tapeview server (schema "
                        f"{current}); upgrade Tapeview. The database was not changed.")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except (DatabaseError, OperationalError) as exc:
            self.engine.dispose()
            original = getattr(exc, "orig", None) or exc
            raise DatabaseOpenError(f"cannot open {self.description}: "
                                    f"{str(original).splitlines()[0]}") from exc
        except DatabaseOpenError:
            self.engine.dispose()
            raise

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}).get_current_revision()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that writes: committed on success, rolled back on any error."""
        with self.engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection, \
                Session(connection, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, is_sqlite: bool) -> Engine:
    if not is_sqlite:
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_setup(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Transactions are begun by the listener below, not by the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
        writing = connection.get_execution_options().get(_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine
