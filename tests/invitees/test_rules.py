"""The invitation rules (`invitees/rules.py`) as the pure functions they are."""

from __future__ import annotations

import pytest

from onstream.errors import Invalid
from onstream.invitees import rules


@pytest.mark.parametrize("role", [1, 2, 3])
def test_the_three_roles_are_kept(role: int) -> None:
    assert rules.check_role(role) == role


def test_a_missing_role_makes_a_participant() -> None:
    assert rules.check_role(None) == 2


@pytest.mark.parametrize("role", [0, 4, -1, 99])
def test_any_other_role_is_refused_naming_the_field(role: int) -> None:
    with pytest.raises(Invalid, match=r"^role must be 1 \(moderator\), 2 \(participant\)"):
        rules.check_role(role)


def test_the_refusal_names_the_field_the_caller_checks() -> None:
    with pytest.raises(Invalid, match=r"^invitees\[0\]\.role must be"):
        rules.check_role(7, field="invitees[0].role")
