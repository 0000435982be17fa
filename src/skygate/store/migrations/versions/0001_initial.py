"""Initial schema: ledger, materialized rules, API keys, terminals.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256("")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("effective_at", TZ, nullable=False),
        sa.Column("op", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("target", sa.Integer, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False, unique=True),
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("frontier", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=True),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "root_hash": EMPTY_ROOT, "frontier": "[]"}])
    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_key", sa.Text, nullable=False),
        sa.Column("region", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_until", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("n_cells", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_authorizations_scope_key", "authorizations", ["scope_key"])
    op.create_index("ix_authorizations_region", "authorizations", ["region"])
    op.create_table(
        "restrictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_key", sa.Text, nullable=False),
        sa.Column("region", sa.String(16), nullable=True),
        sa.Column("effect", sa.String(32), nullable=False),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_until", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("approved_by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("n_cells", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_restrictions_scope_key", "restrictions", ["scope_key"])
    op.create_index("ix_restrictions_region", "restrictions", ["region"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("key_hash", sa.Text, nullable=False, unique=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=True),
        sa.Column("created_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_table(
        "terminals",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("lat_deg", sa.Float, nullable=True),
        sa.Column("lon_deg", sa.Float, nullable=True),
        sa.Column("cell", sa.Text, nullable=True),
        sa.Column("region", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=True),
        sa.Column("history", sa.JSON, nullable=True),
    )
    op.create_index("ix_terminals_owner", "terminals", ["owner"])


def downgrade() -> None:
    for name in ("terminals", "api_keys", "restrictions", "authorizations", "ledger_head",
                 "ledger_entries"):
        op.drop_table(name)
