"""Events defined after the fact (a name and a rule) with the rows of the events index they
match, and reviewers' notes at moments of a session

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "defined_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defined_event")),
        sa.UniqueConstraint("name", name=op.f("uq_defined_event_name")),
    )
    op.create_table(
        "defined_event_hit",
        sa.Column("defined_event_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["defined_event_id"], ["defined_event.id"],
                                name=op.f("fk_defined_event_hit_defined_event_id_defined_event"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"],
                                name=op.f("fk_defined_event_hit_session_id_session"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("defined_event_id", "event_id",
                                name=op.f("pk_defined_event_hit")),
    )
    with op.batch_alter_table("defined_event_hit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_defined_event_hit_defined_event_id_session_id_ts_ms"),
            ["defined_event_id", "session_id", "ts_ms"], unique=False)
        batch_op.create_index(batch_op.f("ix_defined_event_hit_session_id"), ["session_id"],
                              unique=False)
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"],
                                name=op.f("fk_note_session_id_session"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_session_id_offset_ms"),
                              ["session_id", "offset_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_session_id_offset_ms"))
    op.drop_table("note")
    with op.batch_alter_table("defined_event_hit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defined_event_hit_session_id"))
        batch_op.drop_index(batch_op.f("ix_defined_event_hit_defined_event_id_session_id_ts_ms"))
    op.drop_table("defined_event_hit")
    op.drop_table("defined_event")
