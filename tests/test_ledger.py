"""The ledger: RFC 6962 hashing against the published test vectors, proofs, tamper detection
in the database and in exports, and the CLI's exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

from skygate.cli import main
from skygate.errors import InputError, LedgerIntegrityError
from skygate.policy import control
from skygate.policy.ledger import (
    EMPTY_ROOT,
    _frontier_push,
    _frontier_root,
    consistency_proof,
    export_jsonl,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
    verify_jsonl,
    verify_store,
)
from skygate.policy.model import Scope
from skygate.store import open_store
from skygate.store.schema import ledger_entries, ledger_head

# The 8 leaves and tree roots of Certificate Transparency's reference test suite
# (certificate-transparency merkle_tree_test.cc / RFC 6962 test vectors): an independent
# reference for the hashing and the tree shape.
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Audit path of leaf 0 in the 8-leaf tree, from the same suite.
CT_PATH_0_OF_8 = [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


def _ct_leaves() -> list[bytes]:
    return [leaf_hash(bytes.fromhex(x)) for x in CT_LEAVES]


def test_merkle_roots_match_the_rfc6962_reference_vectors():
    leaves = _ct_leaves()
    assert merkle_root([]) == EMPTY_ROOT
    for n in range(1, 9):
        assert merkle_root(leaves[:n]).hex() == CT_ROOTS[n - 1]


def test_inclusion_path_matches_the_reference_and_verifies():
    leaves = _ct_leaves()
    assert [p.hex() for p in inclusion_proof(leaves, 0)] == CT_PATH_0_OF_8
    for n in range(1, 9):
        root = merkle_root(leaves[:n])
        for i in range(n):
            proof = inclusion_proof(leaves[:n], i)
            assert verify_inclusion(leaves[i], i, n, proof, root)
            assert not verify_inclusion(leaves[i], (i + 1) % n, n, proof, root) or n == 1
            assert not verify_inclusion(leaf_hash(b"forged"), i, n, proof, root)


def test_inclusion_and_consistency_proofs_for_many_sizes():
    leaves = [leaf_hash(str(i).encode()) for i in range(40)]
    for n in (1, 2, 3, 7, 16, 17, 31, 40):
        root = merkle_root(leaves[:n])
        for i in range(0, n, 3):
            assert verify_inclusion(leaves[i], i, n, inclusion_proof(leaves[:n], i), root)
        for m in range(1, n + 1):
            proof = consistency_proof(leaves[:n], m)
            old = merkle_root(leaves[:m])
            assert verify_consistency(m, n, old, root, proof), (m, n)
            if m < n:
                assert not verify_consistency(m, n, leaf_hash(b"x"), root, proof)
                bad = [leaf_hash(b"y")] + list(proof[1:])
                assert not verify_consistency(m, n, old, root, bad)


def test_incremental_frontier_equals_batch_root():
    leaves = [leaf_hash(bytes([i % 256, i // 256])) for i in range(300)]
    frontier: list[bytes] = []
    for n, leaf in enumerate(leaves):
        _frontier_push(frontier, n, leaf)
        if n < 70 or n % 37 == 0:
            assert _frontier_root(frontier) == merkle_root(leaves[: n + 1])
    assert len(frontier) == bin(300).count("1")


# ---------------------------------------------------------------- a ledger in a store


@pytest.fixture()
def store(skygate_home, monkeypatch):
    monkeypatch.setenv("SKYGATE_POLICY_PRESET", "none")
    from skygate.settings import get_settings

    get_settings.cache_clear()
    s = open_store()
    cells = np.array([0x8511920BFFFFFFF, 0x85119213FFFFFFF], dtype=np.uint64)
    for i in range(6):
        control.restrict(s, Scope.of_cells(cells, name=f"area {i}"), "beam_off",
                         requested_by="ministry", approved_by="operator", reason=f"r{i}",
                         actor="alice")
    yield s
    s.close()


def _exec(store, sql, **params):
    with store.engine.connect() as conn:
        with conn.begin():
            conn.execute(sa.text(sql), params)


def test_intact_ledger_verifies(store):
    head = verify_store(store)
    assert head.size == 6
    with store.connect() as conn:
        stored = conn.execute(sa.select(ledger_head.c.root_hash)).scalar()
    assert head.root_hex == stored


def _body(store, seq):
    with store.connect() as conn:
        return conn.execute(sa.select(ledger_entries.c.body).where(ledger_entries.c.seq == seq)).scalar()


@pytest.mark.parametrize("tamper, bad_entry", [
    ("edit_body", 3), ("edit_actor_column", 4), ("delete_middle", 3), ("swap", 2),
    ("truncate_tail", 6), ("edit_head", 7),
])
def test_every_kind_of_tampering_is_found_at_the_first_bad_entry(store, tamper, bad_entry):
    if tamper == "edit_body":
        body = _body(store, 3).replace('"r2"', '"r2 (quietly changed)"')
        _exec(store, "UPDATE ledger_entries SET body = :b WHERE seq = 3", b=body)
    elif tamper == "edit_actor_column":
        _exec(store, "UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 4")
    elif tamper == "delete_middle":
        _exec(store, "DELETE FROM ledger_entries WHERE seq = 3")
    elif tamper == "swap":
        _exec(store, "UPDATE ledger_entries SET seq = -1 WHERE seq = 2")
        _exec(store, "UPDATE ledger_entries SET seq = 2 WHERE seq = 3")
        _exec(store, "UPDATE ledger_entries SET seq = 3 WHERE seq = -1")
    elif tamper == "truncate_tail":
        _exec(store, "DELETE FROM ledger_entries WHERE seq = 6")
    elif tamper == "edit_head":
        _exec(store, "UPDATE ledger_head SET size = 7")
    with pytest.raises(LedgerIntegrityError) as info:
        verify_store(store)
    assert info.value.entry == bad_entry, str(info.value)


def test_export_round_trip_and_tampered_exports(store, tmp_path):
    path = tmp_path / "ledger.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        head = export_jsonl(store, fh)
    assert verify_jsonl(path) == head or verify_jsonl(path).root == head.root
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7 and json.loads(lines[-1])["tree_head"]["size"] == 6

    edited = list(lines)
    item = json.loads(edited[1])
    item["entry"]["after"]["approved_by"] = "nobody"
    edited[1] = json.dumps(item)
    cases = {
        "edit": (edited, 2),
        "delete": (lines[:2] + lines[3:], 3),
        "reorder": ([lines[0], lines[2], lines[1]] + lines[3:], 2),
        "cut": (lines[:-1], 7),
    }
    for name, (content, bad) in cases.items():
        path.write_text("\n".join(content) + "\n", encoding="utf-8")
        with pytest.raises(LedgerIntegrityError) as info:
            verify_jsonl(path)
        assert info.value.entry == bad, (name, str(info.value))


def test_cli_verify_export_and_proof(store, tmp_path, capsys):
    assert main(["ledger", "verify"]) == 0
    assert "6 entries" in capsys.readouterr().out
    out = tmp_path / "x.jsonl"
    assert main(["ledger", "export", "--out", str(out)]) == 0
    assert main(["ledger", "verify", "--file", str(out)]) == 0
    capsys.readouterr()
    assert main(["ledger", "proof", "4"]) == 0
    proof = json.loads(capsys.readouterr().out)
    path = [bytes.fromhex(p) for p in proof["audit_path"]]
    assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), 3, 6, path,
                            bytes.fromhex(proof["root_hash"]))
    assert main(["ledger", "proof", "99"]) == 2
    _exec(store, "UPDATE ledger_entries SET op = 'amend' WHERE seq = 5")
    capsys.readouterr()
    assert main(["ledger", "verify"]) != 0
    assert "first bad entry 5" in capsys.readouterr().err


def test_changes_need_an_actor_and_a_reason(store):
    cells = np.array([0x8511920BFFFFFFF], dtype=np.uint64)
    with pytest.raises(InputError, match="reason"):
        control.restrict(store, Scope.of_cells(cells, name="a"), "beam_off",
                         requested_by="x", approved_by="y", reason=" ", actor="alice")
    with pytest.raises(InputError, match="actor"):
        control.restrict(store, Scope.of_cells(cells, name="a"), "beam_off",
                         requested_by="x", approved_by="y", reason="r", actor="")
    assert verify_store(store).size == 6  # nothing half-written


def test_a_proof_is_checkable_by_anyone_and_edits_are_caught(store, tmp_path, capsys):
    """`ledger proof` carries the entry: SHA-256(0x00 || canonical JSON) is the leaf and the
    audit path leads to the root — checked by `ledger verify-proof`, and by hand here."""
    import hashlib

    capsys.readouterr()
    assert main(["ledger", "proof", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    body = json.dumps(doc["body"], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()
    assert hashlib.sha256(b"\x00" + body).hexdigest() == doc["leaf_hash"]
    assert doc["body"]["seq"] == 3 and doc["tree_size"] == 6
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(doc))
    assert main(["ledger", "verify-proof", str(path)]) == 0
    assert "proof holds: entry 3" in capsys.readouterr().out
    # later entries do not invalidate an old proof: it is checked against the root at its size
    control.restrict(store, Scope.of_cells(np.array([0x8511920BFFFFFFF], dtype=np.uint64),
                                           name="later"), "beam_off", requested_by="m",
                     approved_by="o", reason="later", actor="alice")
    assert main(["ledger", "verify-proof", str(path)]) == 0
    bad = {
        "edited body": {**doc, "body": {**doc["body"], "reason": "r2 (quietly changed)"}},
        "wrong path": {**doc, "audit_path": list(reversed(doc["audit_path"]))},
        "other entry": {**doc, "entry": 4},
    }
    for name, forged in bad.items():
        path.write_text(json.dumps(forged))
        capsys.readouterr()
        assert main(["ledger", "verify-proof", str(path)]) == 2, name
        assert "proof does NOT hold" in capsys.readouterr().err, name
    path.write_text(json.dumps(doc))
    assert main(["ledger", "verify-proof", str(path), "--root", "00" * 32]) == 2
    assert "not the trusted root" in capsys.readouterr().err
    path.write_text("[1, 2]")
    assert main(["ledger", "verify-proof", str(path)]) == 2
    assert "not an inclusion proof" in capsys.readouterr().err
