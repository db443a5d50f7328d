"""Conversation states are stored as their strings (Learner.state): the enum must keep
the values rows already hold, and a stored value must read back as its member."""

import json

from bot.flows.states import BROADCAST, IN_LESSON, ONBOARDING, State

STORED = {
    "new", "consent", "group", "commune", "unit", "menu", "lesson", "practice", "quiz",
    "review", "exam", "ask", "glossary", "remind_time", "remind_days", "delete_confirm",
    "cert_name", "cert_public", "bc_text", "bc_link", "bc_aud", "bc_commune", "bc_unit",
    "bc_preview", "bc_when", "bc_confirm",
}  # fmt: skip


def test_values_are_the_stored_strings():
    assert {s.value for s in State} == STORED
    assert all(State(value) == value for value in STORED)


def test_a_plain_stored_string_compares_and_groups_as_its_member():
    assert "quiz" in IN_LESSON and "new" in ONBOARDING and "bc_when" in BROADCAST
    assert "menu" not in (*IN_LESSON, *ONBOARDING, *BROADCAST)
    # A broadcast draft keeps the state it interrupted in JSON (state_data["prev"]).
    assert json.loads(json.dumps([State.lesson, {}])) == ["lesson", {}]
