"""Alembic environment: migrations run on a connection handed over by `ServerDatabase`."""

from alembic import context

from app.server.database import VERSION_TABLE
from app.server.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
