"""Asset store: images, fonts and stylesheets kept for offline replay

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_asset_blob")),
    )
    op.create_table(
        "asset_url",
        sa.Column("url_sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("added_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_sha256"],
            ["asset_blob.sha256"],
            name=op.f("fk_asset_url_blob_sha256_asset_blob"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("url_sha256", name=op.f("pk_asset_url")),
    )


def downgrade() -> None:
    op.drop_table("asset_url")
    op.drop_table("asset_blob")
