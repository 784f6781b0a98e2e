"""Each event carries its session's visitor, and funnel steps are read off covering indexes

Revision ID: 0011
Revises: 0010

A funnel walks each visitor's matching events in time order. With the visitor on the event
row and the step's columns, the visitor, the session and the time in one index, finding an
actor's next step is one index seek, not a read of the event row and of its session.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CLICKS = "kind = 'click'"


def upgrade() -> None:
    op.add_column("event", sa.Column("visitor_id", sa.Integer(), nullable=True))
    op.execute("UPDATE event SET visitor_id = (SELECT session.visitor_id FROM session "
               "WHERE session.id = event.session_id) WHERE event.session_id IN "
               "(SELECT id FROM session WHERE visitor_id IS NOT NULL)")
    op.drop_index("ix_event_kind_name", table_name="event")
    op.create_index("ix_event_steps", "event",
                    ["kind", "name", "visitor_id", "session_id", "ts_ms"])
    op.drop_index("ix_event_click_text", table_name="event")
    op.create_index("ix_event_click_text", "event",
                    ["kind", "text", "visitor_id", "session_id", "ts_ms"],
                    sqlite_where=sa.text(CLICKS), postgresql_where=sa.text(CLICKS))


def downgrade() -> None:
    op.drop_index("ix_event_click_text", table_name="event")
    op.create_index("ix_event_click_text", "event", ["kind", "text"],
                    sqlite_where=sa.text(CLICKS), postgresql_where=sa.text(CLICKS))
    op.drop_index("ix_event_steps", table_name="event")
    op.create_index("ix_event_kind_name", "event", ["kind", "name"])
    op.drop_column("event", "visitor_id")
