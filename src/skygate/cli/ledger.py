"""``skygate ledger``: verify the policy ledger (or an export), export it, prove an entry.

``verify`` exits 0 when every entry, link and the tree head check out, and non-zero (2, like
every skygate error) with the first bad entry named when not.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from skygate.cli._common import emit_json
from skygate.errors import InputError, LedgerIntegrityError

__all__ = ["register"]

ledger_app = typer.Typer(help="The tamper-evident policy ledger (RFC 6962 Merkle tree).",
                         no_args_is_help=True)


@ledger_app.command("verify")
def verify_cmd(
    file: Optional[Path] = typer.Option(None, "--file", help="verify a JSON Lines export instead"),
) -> None:
    """Check every entry's hash, the chain and the tree head."""
    from skygate.policy.ledger import verify_jsonl, verify_store
    from skygate.store import open_store

    try:
        if file is not None:
            head = verify_jsonl(file)
        else:
            with open_store() as store:
                head = verify_store(store)
    except LedgerIntegrityError as exc:
        raise LedgerIntegrityError(f"ledger NOT intact: first bad entry {exc.entry}: {exc}",
                                   entry=exc.entry) from None
    print(f"ledger intact: {head.size} entries, root {head.root_hex}")


@ledger_app.command("export")
def export_cmd(
    out: Optional[Path] = typer.Option(None, "--out", help="file to write (default stdout)"),
) -> None:
    """Write the ledger as JSON Lines (entries, then the tree head)."""
    from skygate.policy.ledger import export_jsonl
    from skygate.store import open_store

    with open_store() as store:
        if out is None:
            export_jsonl(store, sys.stdout)
            return
        tmp = out.with_name(out.name + ".part")
        with tmp.open("w", encoding="utf-8") as fh:
            head = export_jsonl(store, fh)
        tmp.replace(out)
    print(f"exported {head.size} entries to {out} (root {head.root_hex})", file=sys.stderr)


@ledger_app.command("proof")
def proof_cmd(
    entry: int = typer.Argument(..., help="ledger entry number (1-based)"),
) -> None:
    """Print an RFC 6962 inclusion proof of one entry against the current tree head (JSON)."""
    from skygate.policy.ledger import inclusion_proof, leaves_of, verify_inclusion, verify_store
    from skygate.store import open_store

    with open_store() as store:
        head = verify_store(store)
        leaves = leaves_of(store, upto=head.size)
    if not 1 <= entry <= head.size:
        raise InputError(f"no entry {entry}; the ledger has entries 1..{head.size}",
                         where="ENTRY")
    path = inclusion_proof(leaves, entry - 1)
    assert verify_inclusion(leaves[entry - 1], entry - 1, head.size, path, head.root)
    emit_json({
        "entry": entry, "leaf_index": entry - 1, "leaf_hash": leaves[entry - 1].hex(),
        "tree_size": head.size, "root_hash": head.root_hex,
        "audit_path": [p.hex() for p in path],
        "algorithm": "RFC 6962 (SHA-256; leaf 0x00, node 0x01)",
    })


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
