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
    """Print an RFC 6962 inclusion proof of one entry against the current tree head (JSON,
    with the entry's body: check it anywhere with `skygate ledger verify-proof`)."""
    from skygate.policy.ledger import check_proof_document, proof_document
    from skygate.store import open_store

    with open_store() as store:
        doc = proof_document(store, entry)
    check_proof_document(doc)
    emit_json(doc)


@ledger_app.command("verify-proof")
def verify_proof_cmd(
    file: Path = typer.Argument(..., help="a proof written by `skygate ledger proof`"),
    root: Optional[str] = typer.Option(None, "--root", help="the tree head root you trust "
                                       "(hex); default: this ledger's root at the proof's size"),
) -> None:
    """Check an inclusion proof: body → leaf hash → audit path → root (exit 0 when it holds)."""
    import json

    from skygate.policy.ledger import check_proof_document, leaves_of, merkle_root
    from skygate.store import open_store

    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such file {file}", where="FILE") from None
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", where=str(file)) from None
    if not isinstance(doc, dict):
        raise InputError("not an inclusion proof (expected a JSON object)", where=str(file),
                         hint="use the JSON printed by `skygate ledger proof ENTRY`")
    if root is None:
        with open_store() as store:
            size = doc.get("tree_size")
            leaves = leaves_of(store, upto=size if isinstance(size, int) else 0)
        root = merkle_root(leaves).hex()
    try:
        head = check_proof_document(doc, root_hex=root)
    except LedgerIntegrityError as exc:
        raise LedgerIntegrityError(f"proof does NOT hold: {exc}", entry=exc.entry) from None
    print(f"proof holds: entry {doc['entry']} is in the ledger of {head.size} entries with root "
          f"{head.root_hex}")


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
