"""API keys: admins create, list and revoke them (the secret is shown once)."""

from __future__ import annotations

from fastapi import APIRouter

from skygate.api.deps import AdminDep, ServicesDep
from skygate.api.schemas import KeyCreated, KeyIn, KeyOut

router = APIRouter(prefix="/keys", tags=["keys"])


def _out(record) -> dict:
    return {"id": record.id, "owner": record.owner, "role": record.role.value,
            "country": record.country, "created_at": record.created_at,
            "revoked_at": record.revoked_at}


@router.get("", response_model=list[KeyOut])
def list_keys(admin: AdminDep, services: ServicesDep):
    """List every API key (never the secrets: only their hashes are stored)."""
    return [_out(k) for k in services.keys.list()]


@router.post("", response_model=KeyCreated, status_code=201)
def create_key(admin: AdminDep, services: ServicesDep, body: KeyIn):
    """Create an API key; the response holds the secret, shown this once."""
    record, key = services.keys.create(body.role, body.owner, body.country)
    return {**_out(record), "key": key}


@router.post("/{key_id}/revoke", response_model=KeyOut)
def revoke_key(admin: AdminDep, services: ServicesDep, key_id: str):
    """Revoke an API key; requests with it get 401 from now on."""
    return _out(services.keys.revoke(key_id))
