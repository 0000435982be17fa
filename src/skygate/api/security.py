"""API keys and roles: who may call what.

Keys are 256-bit random secrets (``sg_`` + 43 URL-safe characters) shown to their owner once.
The store keeps only their SHA-256 hex digest. A fast, unsalted hash is the right tool here
and a slow password hash (bcrypt, argon2) is not: slow hashes exist to make guessing
*low-entropy* human passwords expensive, while guessing a 256-bit random key is hopeless at
any speed, and a leaked table of SHA-256 digests reveals nothing usable. A fast digest also
lets every request be checked with one indexed lookup instead of ~100 ms of key stretching.

Roles (issue 5): ``public`` (no key: map, availability, public ledger), ``customer`` (own
terminals), ``operator`` (restrictions, with a second operator's approval; terminal
suspension), ``regulator`` (authorizations for its own country only), ``auditor`` (the whole
ledger), ``admin`` (keys).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

import sqlalchemy as sa

from skygate.errors import InputError

__all__ = [
    "Role",
    "Principal",
    "PUBLIC",
    "KEY_PREFIX",
    "generate_key",
    "hash_key",
    "KeyStore",
    "ApiKeyRecord",
    "KeyNotFound",
]

KEY_PREFIX = "sg_"


class Role(str, Enum):
    """The roles an API key can carry (``public`` is the absence of a key)."""

    public = "public"
    customer = "customer"
    operator = "operator"
    regulator = "regulator"
    auditor = "auditor"
    admin = "admin"


@dataclass(frozen=True)
class Principal:
    """The caller of one request: role, owner name (the actor in the ledger), country."""

    role: Role
    owner: str
    country: str | None = None
    key_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.role is not Role.public


PUBLIC = Principal(role=Role.public, owner="public")


def generate_key() -> str:
    """A new random API key (256 bits of entropy from the OS's CSPRNG)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest under which a key is stored (see the module docstring)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as listed (never with its secret)."""

    id: str
    owner: str
    role: Role
    country: str | None
    created_at: datetime
    revoked_at: datetime | None


def _check_role_country(role: Role, country: str | None) -> str | None:
    if role is Role.public:
        raise InputError("the public role needs no key", where="role",
                         hint="choose customer, operator, regulator, auditor or admin")
    if role is Role.regulator and not country:
        raise InputError("a regulator key needs the country it regulates", where="country",
                         hint="pass the ISO 3166-1 alpha-2 code, e.g. --country TW")
    if country is None:
        return None
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InputError(f"{country!r} is not an ISO 3166-1 alpha-2 code", where="country",
                         hint="two letters, e.g. TW, UA, US")
    from skygate.earth.regions import get_region_index

    return get_region_index().check_code(code)  # UnknownRegionError suggests the closest


class KeyStore:
    """API keys in the store's ``api_keys`` table (hashed; the secret is returned once).

    ``store`` is a :class:`skygate.store.Store` (``connect()`` for reads, ``transaction()``
    for serialized writes). Key ids are short random public handles (``k_`` + 8 hex digits)
    used to list and revoke keys; they reveal nothing about the secret.
    """

    def __init__(self, store):
        self.store = store
        self.table = store.tables.api_keys

    def create(self, role: Role | str, owner: str, country: str | None = None) -> tuple[ApiKeyRecord, str]:
        """Create a key; returns its record and the secret (shown once, never stored)."""
        role = Role(role)
        country = _check_role_country(role, country)
        owner = owner.strip()
        if not owner:
            raise InputError("a key needs an owner name (the actor recorded in the ledger)",
                             where="owner", hint="e.g. --owner 'NCC Taiwan'")
        key = generate_key()
        key_id = "k_" + secrets.token_hex(4)
        now = datetime.now(timezone.utc)
        with self.store.transaction() as conn:
            conn.execute(self.table.insert().values(
                id=key_id, key_hash=hash_key(key), owner=owner, role=role.value,
                country=country, created_at=now, revoked_at=None))
        return ApiKeyRecord(key_id, owner, role, country, now, None), key

    def authenticate(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key, else None."""
        if not key.startswith(KEY_PREFIX):
            return None
        t = self.table
        query = sa.select(t.c.id, t.c.owner, t.c.role, t.c.country, t.c.revoked_at).where(
            t.c.key_hash == hash_key(key))
        with self.store.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.revoked_at is not None:
            return None
        return Principal(role=Role(row.role), owner=row.owner, country=row.country, key_id=row.id)

    def list(self) -> list[ApiKeyRecord]:
        """Every key, oldest first (no secrets: only hashes are stored)."""
        t = self.table
        query = sa.select(t.c.id, t.c.owner, t.c.role, t.c.country, t.c.created_at,
                          t.c.revoked_at).order_by(t.c.created_at, t.c.id)
        with self.store.connect() as conn:
            return [ApiKeyRecord(r.id, r.owner, Role(r.role), r.country, _aware(r.created_at),
                                 _aware(r.revoked_at)) for r in conn.execute(query)]

    def revoke(self, key_id: str) -> ApiKeyRecord:
        """Revoke a key (idempotent); later requests with it get 401."""
        t = self.table
        with self.store.transaction() as conn:
            conn.execute(t.update().where(t.c.id == key_id, t.c.revoked_at.is_(None))
                         .values(revoked_at=datetime.now(timezone.utc)))
        matches = [k for k in self.list() if k.id == key_id]
        if not matches:
            raise KeyNotFound(f"no API key with id {key_id!r}", where="key_id",
                              hint="list keys with GET /api/v1/keys")
        return matches[0]


class KeyNotFound(InputError):
    """No API key with that id."""


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for values stored as UTC; make them aware again."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
