"""Session search: each session's pages as URL filters match them, an index asking whether
a session holds an event of a kind, and segments (filters saved under a name)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from app.core.search.urls import page_keys

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1_000


def upgrade() -> None:
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_keys", sa.Text(), nullable=False,
                                      server_default=""))
    _key_pages()

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_kind_session_id"), ["kind", "session_id"],
                              unique=False)

    op.create_table(
        "segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("name", name=op.f("uq_segment_name")),
    )


def _key_pages() -> None:
    """Fill page_keys for the sessions already cached, a batch at a time."""
    session = sa.table("session", sa.column("id", sa.String()), sa.column("pages", sa.JSON()),
                       sa.column("page_keys", sa.Text()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(session.c.id, session.c.pages)).all()
    update = (sa.update(session).where(session.c.id == sa.bindparam("session_id"))
              .values(page_keys=sa.bindparam("keys")))
    for start in range(0, len(rows), BATCH):
        connection.execute(update, [{"session_id": row.id, "keys": page_keys(row.pages or [])}
                                    for row in rows[start:start + BATCH]])


def downgrade() -> None:
    op.drop_table("segment")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_kind_session_id"))
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_column("page_keys")
