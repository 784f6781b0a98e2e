"""The server's migrations build exactly its models; the OpenAPI spec documents the API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from app.server.database import VERSION_TABLE, DatabaseOpenError, ServerDatabase
from app.server.models import Base


def test_migrations_match_the_models(db: ServerDatabase) -> None:
    assert db.schema_revision() == "0001"
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "server.sqlite3"
    ServerDatabase(path).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(DatabaseOpenError, match="newer Tapeview"):
        ServerDatabase(path)
    assert path.read_bytes() == before


def test_the_openapi_spec_documents_ingest_sync_and_credentials(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    ingest = spec["paths"]["/api/v1/ingest"]["post"]
    body = ingest["requestBody"]["content"]["application/json"]["schema"]
    assert {"visitor_id", "events", "session_id"} <= set(body["properties"])
    assert {"400", "401", "413", "415", "422", "429"} <= set(ingest["responses"])
    assert any(p["name"] == "x-project-key" for p in ingest["parameters"])
    assert "15 minutes" in ingest["description"]
    sessions = spec["paths"]["/api/v1/projects/{project_id}/sessions"]["get"]
    assert {"after", "limit"} <= {p["name"] for p in sessions["parameters"]}
    assert spec["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    assert "change_seq" in spec["info"]["description"]
    assert client.get("/docs").status_code == 200
