"""Open the cache: pick the location, refuse what we must not touch, upgrade what is old.

The schema version check runs on a connection that writes nothing, before any pragma or
migration, so a cache written by a newer Tapeview (or a file that is not a cache at all) is
refused byte-for-byte untouched.
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

CACHE_ENV = "TAPEVIEW_CACHE"
MIGRATIONS = "app.core.cache:migrations"


class CacheError(RuntimeError):
    """The cache cannot be opened; the message says why and what to do."""


def default_cache_path() -> Path:
    return Path(platformdirs.user_data_dir("tapeview", appauthor=False)) / "cache.sqlite3"


def resolve_cache_url(location: str | os.PathLike[str] | None = None) -> str:
    """A SQLAlchemy URL from `--cache`, else `$TAPEVIEW_CACHE`, else the per-user default.

    Plain paths mean SQLite files; anything with `://` is taken as a SQLAlchemy URL
    (e.g. ``postgresql+psycopg://user@host/db``).
    """
    location = location or os.environ.get(CACHE_ENV) or default_cache_path()
    text = os.fspath(location)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().absolute()}"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


class Cache:
    """An open cache. One engine per process; one ORM `Session` per unit of work and thread."""

    def __init__(self, location: str | os.PathLike[str] | None = None) -> None:
        self.url = resolve_cache_url(location)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self._check_schema()
        self.engine = _make_engine(self.url, self.is_sqlite)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upgrade()

    @property
    def description(self) -> str:
        """Where the cache is, for people (no password)."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _check_schema(self) -> None:
        probe = create_engine(self.url, poolclass=None)
        try:
            with probe.connect() as connection:
                tables = set(inspect(connection).get_table_names())
                current = MigrationContext.configure(connection).get_current_revision()
        except (DatabaseError, OperationalError) as exc:
            raise CacheError(f"{self.description} is not a usable Tapeview cache: "
                             f"{_first_line(exc)}") from exc
        finally:
            probe.dispose()
        if current is None:
            if tables - {"alembic_version"}:
                raise CacheError(
                    f"{self.description} holds other data (tables: {', '.join(sorted(tables))})"
                    " and is not a Tapeview cache; choose another --cache location.")
            return
        script = ScriptDirectory.from_config(_alembic_config())
        try:
            script.get_revision(current)
        except Exception as exc:  # alembic raises several types for an unknown revision
            raise CacheError(
                f"{self.description} was written by a newer Tapeview (schema {current}); this "
                f"version understands up to schema {script.get_current_head()}. Upgrade "
                "Tapeview, or open another cache with --cache. The cache was not changed."
            ) from exc

    def _upgrade(self) -> None:
        """Bring the schema to head, all or nothing. SQLite's Python driver runs a DDL
        statement (ALTER TABLE, CREATE INDEX) outside any transaction, so a migration that
        failed half-way would leave a cache neither at the old schema nor at the new one: on
        SQLite the upgrade is one explicit transaction instead."""
        config = _alembic_config()
        if not self.is_sqlite:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        with self.engine.connect() as plain:
            connection = plain.execution_options(isolation_level="AUTOCOMMIT")
            config.attributes["connection"] = connection
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                command.upgrade(config, "head")
            except BaseException as exc:
                connection.exec_driver_sql("ROLLBACK")
                if isinstance(exc, DatabaseError | OperationalError):
                    raise CacheError(f"{self.description} could not be upgraded to this "
                                     f"version's schema ({_first_line(exc)}); it was left as "
                                     "it was.") from exc
                raise
            connection.exec_driver_sql("COMMIT")

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def read_session(self) -> Session:
        """A session for reading; the caller closes it (use as a context manager)."""
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, is_sqlite: bool) -> Engine:
    if not is_sqlite:
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        # WAL lets the GUI read while a sync or import writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0]
