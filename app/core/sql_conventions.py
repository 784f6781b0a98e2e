"""Conventions both databases (the desktop cache and the server's) declare their schema with.

Fixed constraint names keep Alembic migrations identical on SQLite and PostgreSQL; JSON columns
are typed by annotation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
JSON_TYPES: dict[Any, Any] = {dict[str, Any]: JSON, list[str]: JSON}
