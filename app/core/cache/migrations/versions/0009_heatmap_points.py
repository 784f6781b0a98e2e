"""Heatmap points: each page a session showed, with its clicks and mouse moves in page
coordinates and how far down it was seen (sessions cached before this are at
points_version 0 and get theirs from app/core/heatmaps/store.py update_points)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("points_version", sa.Integer(), nullable=False,
                                      server_default="0"))
    op.create_table(
        "page_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("window_index", sa.Integer(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("page_key", sa.Text(), nullable=False),
        sa.Column("viewport_width", sa.Integer(), nullable=True),
        sa.Column("viewport_height", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=16), nullable=True),
        sa.Column("scroll_depth", sa.Integer(), nullable=False),
        sa.Column("click_count", sa.Integer(), nullable=False),
        sa.Column("move_count", sa.Integer(), nullable=False),
        sa.Column("selectors", sa.JSON(), nullable=False),
        sa.Column("clicks", sa.LargeBinary(), nullable=False),
        sa.Column("moves", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"],
                                name=op.f("fk_page_points_session_id_session"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_points")),
    )
    with op.batch_alter_table("page_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_points_session_id"), ["session_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("page_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_points_session_id"))
    op.drop_table("page_points")
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_column("points_version")
