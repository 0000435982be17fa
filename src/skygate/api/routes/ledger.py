"""The policy ledger: pages of entries, verification, inclusion proofs.

Everyone sees public entries; an entry about a non-public restriction is shown to the public
as its sequence number and leaf hash only (``redacted``), so anyone can still check the tree
head and the chain of hashes without learning what it says. Auditors see every entry.
"""

from __future__ import annotations

import json
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query

from skygate.api.deps import PrincipalDep, ServicesDep
from skygate.api.security import Principal, Role
from skygate.errors import InputError, LedgerIntegrityError
from skygate.policy import ledger as _ledger

router = APIRouter(prefix="/ledger", tags=["ledger"])


def is_public(entry: dict) -> bool:
    """False for entries that create, change or end a non-public restriction."""
    for side in ("after", "before"):
        value = entry.get(side)
        if isinstance(value, dict) and value.get("public") is False:
            return False
    return True


def _sees_all(principal: Principal) -> bool:
    return principal.role is Role.auditor


def _view(seq: int, leaf_hash: str, body: str, principal: Principal) -> dict:
    entry = json.loads(body)
    if _sees_all(principal) or is_public(entry):
        return {"seq": seq, "leaf_hash": leaf_hash, "public": is_public(entry), "entry": entry}
    return {"seq": seq, "leaf_hash": leaf_hash, "public": False, "redacted": True,
            "entry": None}


@router.get("")
def list_entries(principal: PrincipalDep, services: ServicesDep,
                 offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    """A page of ledger entries in sequence order (non-public ones redacted unless auditor)."""
    t = services.store.tables.ledger_entries
    with services.store.connect() as conn:
        head = _ledger.read_head(conn)
        rows = conn.execute(sa.select(t.c.seq, t.c.leaf_hash, t.c.body).order_by(t.c.seq)
                            .offset(offset).limit(limit)).all()
    return {"size": head.size, "root_hash": head.root_hex, "offset": offset, "limit": limit,
            "entries": [_view(r.seq, r.leaf_hash, r.body, principal) for r in rows]}


@router.get("/verify")
def verify(services: ServicesDep) -> dict:
    """Re-hash the whole ledger and check its chain and Merkle root against the head."""
    try:
        head = _ledger.verify_store(services.store)
    except LedgerIntegrityError as exc:
        return {"ok": False, "error": str(exc), "entry": exc.entry}
    return {"ok": True, "size": head.size, "root_hash": head.root_hex}


@router.get("/{seq}/proof")
def proof(principal: PrincipalDep, services: ServicesDep,
          seq: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict:
    """RFC 6962 inclusion proof of entry ``seq`` in the current tree head."""
    t = services.store.tables.ledger_entries
    with services.store.connect() as conn:
        head = _ledger.read_head(conn)
        row = conn.execute(sa.select(t.c.seq, t.c.leaf_hash, t.c.body).where(t.c.seq == seq)).first()
    if row is None or not 1 <= seq <= head.size:
        raise InputError(f"no ledger entry {seq}; the ledger has {head.size} entries",
                         where="seq", hint="entries are numbered from 1")
    leaves = _ledger.leaves_of(services.store, upto=head.size)
    path = _ledger.inclusion_proof(leaves, seq - 1)
    out = _view(row.seq, row.leaf_hash, row.body, principal)
    out.update(tree_size=head.size, root_hash=head.root_hex, leaf_index=seq - 1,
               audit_path=[p.hex() for p in path],
               how_to_verify="RFC 6962 §2.1.1: fold leaf_hash with audit_path up to root_hash; "
                             "leaf = SHA-256(0x00 || canonical JSON of entry)")
    return out
