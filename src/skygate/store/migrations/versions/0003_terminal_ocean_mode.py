"""Terminals remember whether Ocean Mode is enabled (maritime plans beyond 12 nmi).

A maritime terminal is served in international waters only with Ocean Mode (shared facts
§5; ``skygate.policy.decide(..., ocean_mode=True)``). The setting belongs to the terminal,
so the lifecycle can re-check it at activation and in ``status``; existing terminals get
``false`` (coastal service only), which is what they were decided with before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("terminals", sa.Column("ocean_mode", sa.Boolean, nullable=False,
                                         server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("terminals") as batch:  # SQLite cannot DROP COLUMN everywhere
        batch.drop_column("ocean_mode")
