"""The database tables, as SQLAlchemy Core ``Table`` objects.

The migrations in ``skygate/store/migrations`` create exactly these tables (a test compares
them); this module is what code uses to query them. Times are stored as timestamps with a time
zone (``TIMESTAMPTZ`` on PostgreSQL); :class:`UTCDateTime` hands back aware UTC datetimes on
SQLite too, which itself keeps no zone.

Tables:

- ``ledger_entries`` — the append-only, hash-chained policy ledger (one row per change; the
  canonical JSON ``body`` is what is hashed, the other columns are copies for queries and are
  checked against the body by ``skygate ledger verify``).
- ``ledger_head`` — one row: the tree size, Merkle root and the frontier of perfect subtree
  hashes that lets an append update the root in O(log n).
- ``authorizations``, ``restrictions`` — the current rules, materialized from the ledger in the
  same transaction as the entry that changed them (a convenience for queries; the ledger is the
  truth and ``load_policy`` rebuilds from it).
- ``api_keys``, ``terminals`` — used by the terminal lifecycle and the API (skygate.policy
  terminals / skygate.api).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

__all__ = [
    "metadata",
    "UTCDateTime",
    "ledger_entries",
    "ledger_head",
    "authorizations",
    "restrictions",
    "api_keys",
    "terminals",
    "restriction_requests",
]

metadata = sa.MetaData()


class UTCDateTime(TypeDecorator):
    """A timestamp with time zone that always comes back as an aware UTC ``datetime``."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("skygate stores aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - defensive, SQLite text
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("effective_at", UTCDateTime, nullable=False),
    sa.Column("op", sa.String(32), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("target", sa.Integer, nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("leaf_hash", sa.String(64), nullable=False, unique=True),
)

ledger_head = sa.Table(
    "ledger_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("root_hash", sa.String(64), nullable=False),
    sa.Column("frontier", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=True),
)

authorizations = sa.Table(
    "authorizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("scope_kind", sa.String(16), nullable=False),
    sa.Column("scope_key", sa.Text, nullable=False, index=True),
    sa.Column("region", sa.String(16), nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("valid_from", UTCDateTime, nullable=False),
    sa.Column("valid_until", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("n_cells", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

restrictions = sa.Table(
    "restrictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("scope_kind", sa.String(16), nullable=False),
    sa.Column("scope_key", sa.Text, nullable=False, index=True),
    sa.Column("region", sa.String(16), nullable=True, index=True),
    sa.Column("effect", sa.String(32), nullable=False),
    sa.Column("valid_from", UTCDateTime, nullable=False),
    sa.Column("valid_until", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("approved_by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False),
    sa.Column("n_cells", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("country", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

terminals = sa.Table(
    "terminals",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("owner", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("lat_deg", sa.Float, nullable=True),
    sa.Column("lon_deg", sa.Float, nullable=True),
    sa.Column("cell", sa.Text, nullable=True),
    sa.Column("region", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=True),
    sa.Column("history", sa.JSON, nullable=True),
    # Maritime plans: Ocean Mode enabled (served beyond 12 nmi; migration 0003).
    sa.Column("ocean_mode", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Restriction requests waiting for a second operator's approval (the API's four-eyes rule).
# A pending request changes no decision; it becomes a ledger entry only when approved.
restriction_requests = sa.Table(
    "api_restriction_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the RestrictionIn fields, JSON
    sa.Column("state", sa.String(16), nullable=False),  # pending, approved, rejected
    sa.Column("decided_by", sa.Text, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decision_reason", sa.Text, nullable=True),
    sa.Column("ledger_seq", sa.Integer, nullable=True),
)
