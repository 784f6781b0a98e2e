"""Sync mirror: remote ids of organizations, one local project per remote project, and which
state of each synced session the cache holds

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("remote_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_organization_server_url_remote_id"),
                              ["server_url", "remote_id"], unique=True)

    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_state_server_url_remote_project_id"),
                              ["server_url", "remote_project_id"], unique=True)

    op.create_table(
        "synced_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("chunks_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_synced_session_session_id_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_synced_session")),
    )


def downgrade() -> None:
    op.drop_table("synced_session")
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_state_server_url_remote_project_id"))
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_server_url_remote_id"))
        batch_op.drop_column("remote_id")
        batch_op.drop_column("server_url")
