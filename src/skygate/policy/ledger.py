"""The policy ledger: append-only, hash-chained, and a Merkle tree as in Certificate
Transparency (RFC 6962 / RFC 9162).

Why both a chain and a tree: the chain (each entry names the hash of the one before) makes
any edit, deletion or reordering show up at the first entry touched; the Merkle tree gives a
32-byte *tree head* that names the whole history (the policy version the simulator records)
and lets anyone check that one entry is in it with ~log2(n) hashes — an inclusion proof —
without seeing the others, and that a later head extends an earlier one (a consistency proof).

Hashing (RFC 6962 §2.1): ``leaf = SHA-256(0x00 || body)``, ``node = SHA-256(0x01 || l || r)``,
the empty tree's root is ``SHA-256("")``. ``body`` is the entry's canonical JSON: UTF-8, keys
sorted, no spaces (``canonical_json``); it holds ``seq``, ``prev`` (the previous leaf hash),
``recorded_at``, ``effective_at``, ``actor``, ``op``, ``reason``, ``target``, ``before``,
``after`` and ``source``.

Two times per entry: ``recorded_at`` is when the ledger learned of the change (never goes
backwards); ``effective_at`` is when the change took effect (the preset's entries are recorded
today but effective in October 2024, and say so in ``source``). ``load_policy(at=...)``
replays the entries effective up to ``at``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa

from skygate.errors import InputError, LedgerIntegrityError
from skygate.policy.model import iso_time
from skygate.store.schema import ledger_entries, ledger_head
from skygate.timeutil import UTC, parse_time

__all__ = [
    "OPS",
    "EMPTY_ROOT",
    "LedgerEntry",
    "TreeHead",
    "canonical_json",
    "leaf_hash",
    "node_hash",
    "merkle_root",
    "inclusion_proof",
    "verify_inclusion",
    "consistency_proof",
    "verify_consistency",
    "append_entries",
    "read_entries",
    "read_head",
    "verify_entries",
    "verify_store",
    "export_jsonl",
    "verify_jsonl",
    "leaves_of",
    "proof_document",
    "check_proof_document",
]

OPS = ("authorize", "restrict", "amend", "revoke")
EMPTY_ROOT = hashlib.sha256(b"").digest()
_ZERO = "0" * 64


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no whitespace, UTF-8 (what gets hashed)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def leaf_hash(body: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || body)."""
    return hashlib.sha256(b"\x00" + body).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of leaf hashes (RFC 6962 §2.1), level by level.

    Pairing neighbours and carrying a lone last node up unchanged builds the same
    left-complete tree as RFC 6962's "split at the largest power of two below n".
    """
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _split(n: int) -> int:
    """Largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``leaves`` (RFC 6962 §2.1.1 PATH)."""
    if not 0 <= index < len(leaves):
        raise InputError(f"entry index {index} is outside a tree of {len(leaves)} entries")
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    stack = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            stack.append(merkle_root(leaves[lo + k:hi]))
            hi = lo + k
        else:
            stack.append(merkle_root(leaves[lo:lo + k]))
            lo, m = lo + k, m - k
    path.extend(reversed(stack))
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """Check an audit path (RFC 9162 §2.1.3.2); True when ``leaf`` is entry ``index``."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the tree of the first ``old_size`` leaves is a prefix (RFC 6962 §2.1.2)."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise InputError(f"old size {old_size} must be within 1..{n}")

    def sub(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        if m == hi - lo:
            return [] if complete else [merkle_root(leaves[lo:hi])]
        k = _split(hi - lo)
        if m <= k:
            return sub(m, lo, lo + k, complete) + [merkle_root(leaves[lo + k:hi])]
        return sub(m - k, lo + k, hi, False) + [merkle_root(leaves[lo:lo + k])]

    return sub(old_size, 0, n, True)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Check a consistency proof (RFC 9162 §2.1.4.2)."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# ---------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger entry: its canonical ``body`` bytes and their RFC 6962 ``leaf`` hash."""

    seq: int
    body: bytes
    leaf: bytes

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def recorded_at(self) -> datetime:
        return parse_time(self.data["recorded_at"])

    @property
    def effective_at(self) -> datetime:
        return parse_time(self.data["effective_at"])

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "leaf_hash": self.leaf.hex(), "entry": self.data}


@dataclass(frozen=True)
class TreeHead:
    """The ledger's head: ``size`` entries whose Merkle root is ``root`` (the policy version)."""

    size: int
    root: bytes
    frontier: tuple[bytes, ...] = ()

    @property
    def root_hex(self) -> str:
        return self.root.hex()

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "root_hash": self.root.hex()}


def _frontier_push(frontier: list[bytes], size: int, leaf: bytes) -> None:
    """Add a leaf to the frontier (perfect subtree roots, largest first), like a binary
    counter: each trailing 1-bit of ``size`` merges two equal subtrees into one."""
    node = leaf
    n = size
    while n & 1:
        node = node_hash(frontier.pop(), node)
        n >>= 1
    frontier.append(node)


def _frontier_root(frontier: Sequence[bytes]) -> bytes:
    """Root of a left-complete tree from its perfect subtrees, folding right to left."""
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for node in reversed(frontier[:-1]):
        acc = node_hash(node, acc)
    return acc


def read_head(conn: sa.Connection) -> TreeHead:
    row = conn.execute(sa.select(ledger_head).where(ledger_head.c.id == 1)).one()
    frontier = tuple(bytes.fromhex(h) for h in json.loads(row.frontier))
    return TreeHead(size=row.size, root=bytes.fromhex(row.root_hash), frontier=frontier)


def _last_entry(conn: sa.Connection, size: int) -> tuple[str, datetime | None]:
    if size == 0:
        return _ZERO, None
    row = conn.execute(
        sa.select(ledger_entries.c.leaf_hash, ledger_entries.c.recorded_at)
        .where(ledger_entries.c.seq == size)
    ).one()
    return row.leaf_hash, row.recorded_at


def append_entries(conn: sa.Connection, changes: Iterable[dict[str, Any]],
                   *, now: datetime | None = None) -> list[LedgerEntry]:
    """Append changes inside the caller's write transaction (``Store.transaction()``).

    Each change is a dict with ``op``, ``actor``, ``reason`` and optionally ``target``,
    ``before``, ``after``, ``effective_at`` (default: now) and ``source``. ``seq``, ``prev``
    and ``recorded_at`` are filled in here. Returns the new entries; the head row is updated
    in the same transaction, so an entry and the head that covers it commit together or not
    at all.
    """
    head = read_head(conn)
    prev, last_time = _last_entry(conn, head.size)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if last_time is not None and now < last_time:
        now = last_time  # recorded_at never goes backwards, even if the clock does
    frontier = list(head.frontier)
    size = head.size
    rows, out = [], []
    for change in changes:
        op = change["op"]
        if op not in OPS:
            raise InputError(f"unknown ledger operation {op!r}", hint=f"use one of {OPS}")
        if not str(change.get("actor", "")).strip():
            raise InputError("every change needs an actor", where="actor",
                             hint="say who makes the change, e.g. --actor alice@operator")
        if not str(change.get("reason", "")).strip():
            raise InputError("every change needs a reason", where="reason",
                             hint="say why, e.g. --reason 'licence granted 2024-10-01'")
        size += 1
        effective = change.get("effective_at") or now
        body = {
            "seq": size,
            "prev": prev,
            "recorded_at": iso_time(now),
            "effective_at": iso_time(effective),
            "actor": str(change["actor"]),
            "op": op,
            "reason": str(change["reason"]),
            "target": change.get("target"),
            "before": change.get("before"),
            "after": change.get("after"),
            "source": change.get("source"),
        }
        raw = canonical_json(body)
        leaf = leaf_hash(raw)
        _frontier_push(frontier, size - 1, leaf)
        rows.append({
            "seq": size, "recorded_at": parse_time(body["recorded_at"]),
            "effective_at": parse_time(body["effective_at"]), "op": op,
            "actor": body["actor"], "target": body["target"], "body": raw.decode("utf-8"),
            "leaf_hash": leaf.hex(),
        })
        out.append(LedgerEntry(seq=size, body=raw, leaf=leaf))
        prev = leaf.hex()
    if not rows:
        return out
    conn.execute(sa.insert(ledger_entries), rows)
    conn.execute(
        sa.update(ledger_head).where(ledger_head.c.id == 1).values(
            size=size, root_hash=_frontier_root(frontier).hex(),
            frontier=json.dumps([f.hex() for f in frontier]), updated_at=now,
        )
    )
    return out


def read_entries(conn: sa.Connection, *, upto: int | None = None) -> Iterator[sa.Row]:
    """Raw ledger rows in ``seq`` order (the verifier checks them; use ``entries`` below)."""
    query = sa.select(ledger_entries).order_by(ledger_entries.c.seq)
    if upto is not None:
        query = query.where(ledger_entries.c.seq <= upto)
    yield from conn.execute(query)


def _as_time(value: Any) -> datetime | None:
    """A raw driver value as aware UTC (SQLite hands back text, PostgreSQL a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _check_columns(row: sa.Row, data: dict[str, Any]) -> str | None:
    if data.get("op") != row.op or data.get("actor") != row.actor:
        return "its op/actor columns differ from the hashed body"
    if data.get("target") != row.target:
        return "its target column differs from the hashed body"
    try:  # the body's times were written by iso_time: ISO 8601 with 'Z'
        recorded = datetime.fromisoformat(data["recorded_at"])
        effective = datetime.fromisoformat(data["effective_at"])
    except (KeyError, TypeError, ValueError):
        return "its times are missing or unreadable"
    if recorded != _as_time(row.recorded_at):
        return "its recorded_at column differs from the hashed body"
    if effective != _as_time(row.effective_at):
        return "its effective_at column differs from the hashed body"
    return None


def verify_entries(entries: Iterable[tuple],
                   expected: TreeHead | None) -> TreeHead:
    """Verify ``(seq, body, stored leaf hex, row_or_None[, parsed body])`` in order; returns
    the tree head (a caller that already parsed the body passes it, to parse once).

    Raises :class:`LedgerIntegrityError` naming the first bad entry: a body whose hash
    differs from the one stored (an edit), a broken ``prev`` link or a jump in ``seq`` (a
    deletion or reordering), query columns that disagree with the hashed body, or a final
    root/size that differs from the recorded head (entries cut off the end).
    """
    prev, leaves = _ZERO, []
    for n, (seq, body, stored, row, *parsed) in enumerate(entries, start=1):
        leaf = leaf_hash(body)
        if seq != n:
            raise LedgerIntegrityError(
                f"entry {n}: found seq {seq} where {n} was expected (an entry was deleted or "
                "reordered)", entry=n)
        if stored is not None and leaf.hex() != stored:
            raise LedgerIntegrityError(
                f"entry {seq}: its content does not match its recorded hash (edited)", entry=seq)
        try:
            data = parsed[0] if parsed else json.loads(body)
        except ValueError:
            raise LedgerIntegrityError(f"entry {seq}: body is not JSON", entry=seq) from None
        if data.get("seq") != seq or data.get("prev") != prev:
            raise LedgerIntegrityError(
                f"entry {seq}: chain broken (its prev/seq does not follow entry {seq - 1}; "
                "an entry was deleted, inserted or reordered)", entry=seq)
        if row is not None:
            problem = _check_columns(row, data)
            if problem:
                raise LedgerIntegrityError(f"entry {seq}: {problem} (edited)", entry=seq)
        prev = leaf.hex()
        leaves.append(leaf)
    head = TreeHead(size=len(leaves), root=merkle_root(leaves))
    if expected is not None and (expected.size, expected.root) != (head.size, head.root):
        first = min(expected.size, head.size) + 1
        raise LedgerIntegrityError(
            f"the ledger holds {head.size} entries with root {head.root_hex[:16]}…, but its "
            f"recorded head says {expected.size} entries with root {expected.root_hex[:16]}… "
            f"(entries from {first} on were removed or the head was altered)", entry=first)
    return head


def verify_store(store) -> TreeHead:
    """Verify the whole ledger in ``store``; returns the verified head."""
    with store.connect() as conn:
        expected = read_head(conn)
        # Raw rows (no type processing): verification reads every entry, so it is kept lean.
        result = conn.execute(sa.text(
            "SELECT seq, recorded_at, effective_at, op, actor, target, body, leaf_hash "
            "FROM ledger_entries ORDER BY seq"))
        rows = ((r.seq, r.body.encode("utf-8"), r.leaf_hash, r)
                for part in result.partitions(10_000) for r in part)
        return verify_entries(rows, expected)


def leaves_of(store, *, upto: int | None = None) -> list[bytes]:
    """The stored leaf hashes in ``seq`` order (of the first ``upto`` entries)."""
    with store.connect() as conn:
        query = sa.select(ledger_entries.c.leaf_hash).order_by(ledger_entries.c.seq)
        if upto is not None:
            query = query.where(ledger_entries.c.seq <= upto)
        return [bytes.fromhex(h) for (h,) in conn.execute(query)]


def export_jsonl(store, out) -> TreeHead:
    """Write the ledger as JSON Lines: one ``{"seq","leaf_hash","entry"}`` per line, then a
    last line ``{"tree_head": {"size", "root_hash"}}``. ``out`` is a text stream."""
    head = verify_store(store)
    with store.connect() as conn:
        for row in read_entries(conn):
            out.write(json.dumps({"seq": row.seq, "leaf_hash": row.leaf_hash,
                                  "entry": json.loads(row.body)},
                                 ensure_ascii=False, sort_keys=True) + "\n")
    out.write(json.dumps({"tree_head": head.to_json()}) + "\n")
    return head


def verify_jsonl(path: str | Path) -> TreeHead:
    """Verify an export written by :func:`export_jsonl` (re-hashing each entry's canonical
    JSON, so any edit of a value, a deleted or reordered line, or a changed head is found)."""
    path = Path(path)
    expected: TreeHead | None = None

    def rows() -> Iterator[tuple]:
        nonlocal expected
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError as exc:
                    raise InputError(f"not JSON: {exc}", where=f"{path}:{lineno}") from None
                if "tree_head" in item:
                    th = item["tree_head"]
                    expected = TreeHead(size=int(th["size"]), root=bytes.fromhex(th["root_hash"]))
                    continue
                if "entry" not in item:
                    raise InputError("a line without 'entry'", where=f"{path}:{lineno}",
                                     hint="use a file written by `skygate ledger export`")
                entry = item["entry"]
                try:
                    if not isinstance(entry, dict):
                        raise ValueError("an entry must be a JSON object")
                    body = canonical_json(entry)
                    seq = int(item.get("seq", 0))
                except (TypeError, ValueError) as exc:
                    raise LedgerIntegrityError(f"{path}:{lineno}: unusable entry: {exc}",
                                               entry=lineno) from None
                yield seq, body, item.get("leaf_hash"), None, entry

    if not path.is_file():
        raise InputError(f"no such file {path}", where="--file")
    collected = list(rows())
    if expected is None:
        raise LedgerIntegrityError(f"{path}: no tree_head line; the export was cut short",
                                   entry=len(collected) + 1)
    return verify_entries(collected, expected)


# ---------------------------------------------------------------------------- proofs to share

PROOF_ALGORITHM = "RFC 6962 (SHA-256; leaf 0x00, node 0x01)"


def proof_document(store, seq: int) -> dict[str, Any]:
    """A self-contained inclusion proof of entry ``seq`` against the current (verified) head.

    It carries the entry itself, so a third party can check, with nothing but SHA-256, that
    ``leaf_hash = SHA-256(0x00 || canonical_json(entry))`` and that the audit path leads from
    that leaf to ``root_hash`` (:func:`check_proof_document`); comparing ``root_hash`` with a
    tree head published elsewhere then proves the entry is in that history.
    """
    head = verify_store(store)
    if not 1 <= seq <= head.size:
        raise InputError(f"no entry {seq}; the ledger has entries 1..{head.size}", where="ENTRY")
    leaves = leaves_of(store, upto=head.size)
    with store.connect() as conn:
        body = conn.execute(sa.select(ledger_entries.c.body)
                            .where(ledger_entries.c.seq == seq)).scalar_one()
    return {
        "entry": seq, "leaf_index": seq - 1, "leaf_hash": leaves[seq - 1].hex(),
        "tree_size": head.size, "root_hash": head.root_hex,
        "audit_path": [p.hex() for p in inclusion_proof(leaves, seq - 1)],
        "algorithm": PROOF_ALGORITHM, "body": json.loads(body),
    }


def check_proof_document(doc: Any, *, root_hex: str | None = None) -> TreeHead:
    """Check a :func:`proof_document`: the body hashes to the leaf, the audit path leads to
    the root, and (when given) the root is ``root_hex``. Returns the head it proves against;
    raises :class:`LedgerIntegrityError` naming what does not hold."""
    try:
        seq, size = int(doc["entry"]), int(doc["tree_size"])
        leaf, root = bytes.fromhex(doc["leaf_hash"]), bytes.fromhex(doc["root_hash"])
        path = [bytes.fromhex(p) for p in doc["audit_path"]]
        body = doc.get("body")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"not an inclusion proof ({exc!r} missing or malformed)", where="proof",
                         hint="use the JSON printed by `skygate ledger proof ENTRY`") from None
    if body is not None and leaf_hash(canonical_json(body)) != leaf:
        raise LedgerIntegrityError(f"entry {seq}: its body does not hash to the proof's "
                                   "leaf_hash (the entry was edited)", entry=seq)
    if body is not None and body.get("seq") != seq:
        raise LedgerIntegrityError(f"entry {seq}: the body is entry {body.get('seq')}", entry=seq)
    if not verify_inclusion(leaf, seq - 1, size, path, root):
        raise LedgerIntegrityError(f"entry {seq}: the audit path does not lead to root "
                                   f"{root.hex()[:16]}… of a tree of {size}", entry=seq)
    if root_hex is not None and root_hex.strip().lower() != root.hex():
        raise LedgerIntegrityError(f"entry {seq}: the proof is against root {root.hex()[:16]}…, "
                                   f"not the trusted root {root_hex.strip()[:16]}…", entry=seq)
    return TreeHead(size=size, root=root)
