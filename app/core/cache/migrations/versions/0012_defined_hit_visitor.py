"""Each defined event's hit carries its event's visitor, so a funnel reads them off an index

Revision ID: 0012
Revises: 0011

A funnel step that is a defined event reads the event's hits with each one's actor (its
visitor, else its session). With the visitor on the hit and in the index that already leads
with the definition and the session, that is one covering index scan, not a read of every
hit's event row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "defined_event_hit"
OLD_INDEX = ("ix_defined_event_hit_defined_event_id_session_id_ts_ms",
             ["defined_event_id", "session_id", "ts_ms"])
NEW_INDEX = ("ix_defined_event_hit_steps",
             ["defined_event_id", "session_id", "ts_ms", "visitor_id", "event_id"])


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("visitor_id", sa.Integer(), nullable=True))
    op.execute("UPDATE defined_event_hit SET visitor_id = (SELECT event.visitor_id FROM event "
               "WHERE event.id = defined_event_hit.event_id)")
    op.drop_index(OLD_INDEX[0], table_name=TABLE)
    op.create_index(NEW_INDEX[0], TABLE, NEW_INDEX[1])


def downgrade() -> None:
    op.drop_index(NEW_INDEX[0], table_name=TABLE)
    op.create_index(OLD_INDEX[0], TABLE, OLD_INDEX[1])
    op.drop_column(TABLE, "visitor_id")
