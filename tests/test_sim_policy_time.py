"""The policy inside a run's window: compiled per range of epochs over which no rule starts or
stops, so a restriction that begins (or ends) mid-window applies from its first slot on — not
to the whole run, and not never."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from skygate.policy import PolicyState
from skygate.sim import build_context, load_scenario, run_context
from skygate.sim.context import segment_bounds
from skygate.timeutil import parse_time

REPO = Path(__file__).resolve().parents[1]
T0 = "2024-10-25T00:00:00Z"  # the ukraine scenario's policy.at


def _policy(tmp_path: Path, restriction: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(
        f'[preset]\nname = "test"\neffective = "{T0}"\n'
        '[[authorization]]\nregions = ["UA", "PL", "RO", "MD", "HU", "SK"]\nstatus = "available"\n'
        '[[restriction]]\nregion = "UA"\n' + restriction +
        'requested_by = "a ministry"\napproved_by = "the operator"\n')
    return path


def _run(tmp_path, policy: Path, enforce=True, chunk=3):
    sc = load_scenario(REPO / "scenarios" / "ukraine-2024.toml").with_overrides(
        policy={"source": str(policy), "enforce": enforce}, time={"chunk_epochs": chunk},
        outputs={"report": False})
    ctx = build_context(sc, duration=timedelta(minutes=2))  # 9 epochs: policy t0 .. t0+120 s
    out = tmp_path / f"run-{enforce}"
    return ctx, run_context(ctx, out, report=False), out


def _ua_served(out: Path) -> np.ndarray:
    t = pq.read_table(out / "regions.parquet").to_pydict()
    return np.array([g for g, r in zip(t["served_gbps"], t["region"]) if r == "UA"])


def test_segment_bounds_split_on_rule_boundaries(tmp_path):
    step = timedelta(seconds=15)
    t0 = parse_time(T0)
    aligned = PolicyState.from_file(_policy(tmp_path, 'effect = "terminal_disable"\n'
                                            'valid_from = "2024-10-25T00:01:00Z"\n'))
    assert segment_bounds(aligned, t0, 9, step) == [(0, 4), (4, 9)]
    # a change 7 s into slot 4 isolates that slot (compiled over it: both sides apply)
    inside = PolicyState.from_file(_policy(tmp_path, 'effect = "beam_off"\n'
                                           'valid_from = "2024-10-25T00:01:07Z"\n'
                                           'valid_until = "2024-10-25T00:01:30Z"\n'))
    assert segment_bounds(inside, t0, 9, step) == [(0, 4), (4, 5), (5, 6), (6, 9)]
    assert segment_bounds(inside, t0 + timedelta(hours=1), 9, step) == [(0, 9)]


def test_restriction_starting_mid_window_applies_from_its_slot(tmp_path):
    policy = _policy(tmp_path, 'effect = "terminal_disable"\nvalid_from = "2024-10-25T00:01:00Z"\n')
    ctx, summary, out = _run(tmp_path, policy)
    assert [(s.first, s.stop) for s in ctx.segments] == [(0, 4), (4, 9)]
    served = _ua_served(out)
    assert (served[:4] > 1.0).all(), served  # before: Ukraine served
    assert (served[4:] == 0.0).all(), served  # from 00:01:00 on: terminals refused
    assert sum(summary["compliance"].values()) == 0
    assert [s["epochs"] for s in summary["policy_segments"]] == [[0, 4], [4, 9]]
    ep = pq.read_table(out / "epochs.parquet").to_pydict()
    assert ep["policy_segment"] == [0] * 4 + [1] * 5
    assert all(r == 0 for r in ep["refused_gbps"][:4]) and min(ep["refused_gbps"][4:]) > 1.0
    # the compliance check is per epoch too: without enforcement exactly the late epochs count
    _, off, out_off = _run(tmp_path, policy, enforce=False)
    ep_off = pq.read_table(out_off / "epochs.parquet").to_pydict()
    assert ep_off["disabled_terminals_served"][:4] == [0] * 4
    assert min(ep_off["disabled_terminals_served"][4:]) > 0
    assert off["compliance"]["disabled_terminal_epochs_served"] == sum(ep_off["disabled_terminals_served"])


def test_beam_off_inside_a_slot_and_ending_mid_window(tmp_path):
    policy = _policy(tmp_path, 'effect = "beam_off"\nvalid_from = "2024-10-25T00:01:07Z"\n'
                               'valid_until = "2024-10-25T00:01:30Z"\n')
    ctx, summary, out = _run(tmp_path, policy)
    served = _ua_served(out)
    # slot 4 (00:01:00-00:01:15) holds the start: no beam for all of it; slot 5 too; from
    # slot 6 (00:01:30) the restriction has ended and service resumes
    assert (served[:4] > 1.0).all() and (served[4:6] == 0.0).all() and (served[6:] > 1.0).all()
    assert sum(summary["compliance"].values()) == 0
    # the per-cell outputs stay conservative: beam_off at some time in the window
    cells = pq.read_table(out / "cells.parquet").to_pydict()
    ua = [b for b, r in zip(cells["beam_allowed"], cells["region"]) if r == "UA"]
    assert not any(ua)


def test_a_policy_constant_over_the_window_is_one_segment(tmp_path):
    policy = _policy(tmp_path, 'effect = "terminal_disable"\nvalid_from = "2024-10-26T00:00:00Z"\n')
    ctx, summary, out = _run(tmp_path, policy)
    assert len(ctx.segments) == 1 and (_ua_served(out) > 1.0).all()
