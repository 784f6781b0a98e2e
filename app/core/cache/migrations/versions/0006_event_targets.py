"""Events name their target: the CSS selector and visible text of the element acted on, the
window they happened in, and which extraction each session's events come from (sessions
written before this are at 0 and get extracted again: see app/core/cache/reindex.py)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("selector", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("window_index", sa.Integer(), nullable=False,
                                      server_default="0"))

    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("events_version", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_column("events_version")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("window_index")
        batch_op.drop_column("text")
        batch_op.drop_column("selector")
