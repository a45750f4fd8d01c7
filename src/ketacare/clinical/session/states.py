"""The dosing session's state machine.

Implements the life of one treatment session::

    scheduled -> checked_in -> cleared -> dosing -> observation -> discharged
    scheduled | checked_in | cleared -> cancelled   (no drug given)
    dosing | observation -> aborted                 (drug given, session stopped)

Why cancel and abort differ: once any drug has been given the patient must still be
monitored and documented (REMS monitoring form for esketamine outpatients, S5/S6), so a
session that has started dosing can only end as ``discharged`` or ``aborted``, never as
``cancelled``.

This module only decides whether a move is legal. The gates that must pass before a move
(``check_clear``, ``check_predose``, ``assess_discharge_readiness``) live in ``checks`` and
``discharge``; the service runs the gate, then calls ``transition``.
"""

from __future__ import annotations

from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    CLEARED = "cleared"
    DOSING = "dosing"
    OBSERVATION = "observation"
    DISCHARGED = "discharged"
    CANCELLED = "cancelled"
    ABORTED = "aborted"


_S = SessionState

LEGAL_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    _S.SCHEDULED: frozenset({_S.CHECKED_IN, _S.CANCELLED}),
    _S.CHECKED_IN: frozenset({_S.CLEARED, _S.CANCELLED}),
    _S.CLEARED: frozenset({_S.DOSING, _S.CANCELLED}),
    _S.DOSING: frozenset({_S.OBSERVATION, _S.ABORTED}),
    _S.OBSERVATION: frozenset({_S.DISCHARGED, _S.ABORTED}),
    _S.DISCHARGED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.ABORTED: frozenset(),
}

TERMINAL_STATES = frozenset(s for s, targets in LEGAL_TRANSITIONS.items() if not targets)


def _coerce(value: SessionState | str, field: str) -> SessionState:
    try:
        return SessionState(value)
    except ValueError:
        raise InvalidClinicalInput(
            "unknown_session_state",
            f"{field} is not a known session state.",
            {"field": field, "value": str(value)},
        ) from None


def allowed_transitions(current: SessionState | str) -> frozenset[SessionState]:
    """The states a session in ``current`` may move to (empty for terminal states)."""
    return LEGAL_TRANSITIONS[_coerce(current, "current")]


def transition(current: SessionState | str, target: SessionState | str) -> SessionState:
    """Return ``target`` if the move from ``current`` is legal; otherwise raise
    ``InvalidClinicalInput('illegal_transition')`` naming both states and the legal moves."""
    here = _coerce(current, "current")
    there = _coerce(target, "target")
    legal = LEGAL_TRANSITIONS[here]
    if there not in legal:
        raise InvalidClinicalInput(
            "illegal_transition",
            f"A session that is {here.value} cannot move to {there.value}.",
            {
                "current": here.value,
                "target": there.value,
                "allowed": sorted(s.value for s in legal),
            },
        )
    return there
