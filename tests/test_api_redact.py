"""The redaction rule for non-public restrictions (skygate.api.redact), on the real preset
policy: public entries in full, non-public ones as their id and effect only, auditors and
operators see everything. The routes that apply it are tested over HTTP in test_terminals
and test_api."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from skygate.api.redact import (
    redact_area,
    redact_reasons,
    redact_terminal,
    redact_text,
)
from skygate.api.security import PUBLIC, Principal, Role

KERCH_CELL = "852d76a3fffffff"  # a 'blacklisted' cell on the Kerch Strait (Taman side, RU)
SECRETS = ("Isaacson", "undisclosed", "Russian-held", "operator restricted cells")
WHO = {role: Principal(role=role, owner=f"{role.value} someone") for role in Role}


@pytest.fixture()
def state(skygate_home):
    from skygate.api.services import PolicyView
    from skygate.store import open_store

    with open_store() as store:
        yield PolicyView(store).state()


def _kerch(state):
    from skygate.policy import decide

    decision = decide(KERCH_CELL, datetime.now(timezone.utc), policy=state)
    (private,) = [r for r in state.restrictions if not r.public]
    assert private.id in decision.entries and not decision.serviceable
    return decision, private


def _leaks(texts) -> list[str]:
    return [s for s in SECRETS if any(s in t for t in texts)]


def test_non_public_restriction_is_its_id_and_effect_for_the_public(state):
    decision, private = _kerch(state)
    assert _leaks(decision.reasons) == list(SECRETS)  # the decision itself is complete
    for role in (Role.public, Role.customer, Role.regulator, Role.admin):
        shown = redact_reasons(decision.reasons, WHO[role], state)
        assert _leaks(shown) == [], role
        assert f"restriction #{private.id} (terminal_disable) is in force here; it is not public" \
            in shown[decision.reasons.index(private.describe())]
        # everything else unchanged: the authorization and the effect's own reason
        assert [r for r in shown if "not public" not in r] == \
            [r for r in decision.reasons if r != private.describe()]
    for role in (Role.auditor, Role.operator):
        assert redact_reasons(decision.reasons, WHO[role], state) == decision.reasons


def test_public_restrictions_are_shown_in_full(state):
    from skygate.policy import decide

    _, private = _kerch(state)
    opened = replace(state, restrictions=tuple(replace(r, public=True) for r in state.restrictions),
                     version=state.version + "+opened")
    decision = decide(KERCH_CELL, datetime.now(timezone.utc), policy=opened)
    assert redact_reasons(decision.reasons, PUBLIC, opened) == decision.reasons
    assert _leaks(redact_reasons(decision.reasons, PUBLIC, state)) == []  # same text, private


def test_old_wording_and_unknown_ids_are_redacted_too(state):
    """A terminal's history keeps the text of the day: matched by the rule's id, not by
    today's wording; an id the policy does not know fails closed."""
    _, private = _kerch(state)
    stale = replace(private, reason="an older reason, since amended").describe()
    unknown = replace(private, id=999_999).describe()
    shown = redact_reasons([stale, unknown, "authorization #1: region UA available"], PUBLIC, state)
    assert shown[0].startswith(f"restriction #{private.id} (terminal_disable) is in force")
    assert shown[1].startswith("restriction #999999 (terminal_disable) is in force")
    assert shown[2] == "authorization #1: region UA available"


def test_messages_and_terminal_records(state):
    decision, private = _kerch(state)
    message = f"cannot order: not authorized in RU ({private.describe()})"
    text = redact_text(message, decision.reasons, WHO[Role.customer], state)
    assert _leaks([text]) == []
    assert text.startswith("cannot order: not authorized in RU (restriction #")
    assert redact_text(message, decision.reasons, WHO[Role.auditor], state) == message
    record = {"id": "T1", "history": [{"action": "order", "reasons": list(decision.reasons)},
                                      {"action": "suspend", "reason": "unpaid invoice"}],
              "decision": {"status": "not_authorized", "reasons": list(decision.reasons)}}
    shown = redact_terminal(record, WHO[Role.customer], state)
    assert _leaks(shown["history"][0]["reasons"] + shown["decision"]["reasons"]) == []
    assert shown["history"][1] == record["history"][1]
    assert record["history"][0]["reasons"] == decision.reasons  # the input is not changed
    assert redact_terminal(record, WHO[Role.auditor], state) == record


def test_an_area_named_only_by_a_non_public_restriction_is_hidden(state):
    from skygate.policy import Scope
    from skygate.policy.model import Restriction

    (crimea,) = [a for a in state.authorizations if a.scope.code == "UA-43"]
    assert redact_area("UA-43", PUBLIC, state) == "UA-43"  # a public authorization names it
    secret = Restriction(id=10**6, scope=Scope.of_cells(crimea.scope.cells[:3], name="secret",
                                                        code="XX-99"),
                         valid_from=crimea.valid_from, valid_until=None, revoked_at=None,
                         revoked_by=None, effect="beam_off", requested_by="a", approved_by="b",
                         reason="sealed", public=False)
    with_secret = replace(state, restrictions=state.restrictions + (secret,),
                          version=state.version + "+secret")
    assert redact_area("XX-99", PUBLIC, with_secret) is None
    assert redact_area("XX-99", WHO[Role.auditor], with_secret) == "XX-99"
    assert redact_area(None, PUBLIC, with_secret) is None
