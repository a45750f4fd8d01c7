import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.states import (
    TERMINAL_STATES,
    SessionState,
    allowed_transitions,
    transition,
)

S = SessionState

LEGAL = [
    (S.SCHEDULED, S.CHECKED_IN),
    (S.CHECKED_IN, S.CLEARED),
    (S.CLEARED, S.DOSING),
    (S.DOSING, S.OBSERVATION),
    (S.OBSERVATION, S.DISCHARGED),
    (S.SCHEDULED, S.CANCELLED),
    (S.CHECKED_IN, S.CANCELLED),
    (S.CLEARED, S.CANCELLED),
    (S.DOSING, S.ABORTED),
    (S.OBSERVATION, S.ABORTED),
]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_session_moves_along_the_legal_path(current, target):
    assert transition(current, target) is target


ILLEGAL = [(c, t) for c in S for t in S if (c, t) not in LEGAL]


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_other_move_is_refused_as_illegal_transition(current, target):
    with pytest.raises(InvalidClinicalInput) as error:
        transition(current, target)
    assert error.value.code == "illegal_transition"
    assert error.value.details["current"] == current.value
    assert error.value.details["target"] == target.value


def test_a_session_that_has_started_dosing_cannot_be_cancelled_only_aborted():
    # Drug has been given: the patient must still be monitored and documented.
    with pytest.raises(InvalidClinicalInput):
        transition(S.DOSING, S.CANCELLED)
    assert transition(S.DOSING, S.ABORTED) is S.ABORTED


def test_a_patient_cannot_skip_clearance_and_go_straight_to_dosing():
    with pytest.raises(InvalidClinicalInput) as error:
        transition(S.CHECKED_IN, S.DOSING)
    assert error.value.details["allowed"] == ["cancelled", "cleared"]


def test_discharged_cancelled_and_aborted_are_terminal():
    assert {S.DISCHARGED, S.CANCELLED, S.ABORTED} == TERMINAL_STATES
    for state in TERMINAL_STATES:
        assert allowed_transitions(state) == frozenset()


def test_states_given_as_text_are_accepted_and_unknown_text_is_refused():
    assert transition("scheduled", "checked_in") is S.CHECKED_IN
    with pytest.raises(InvalidClinicalInput) as error:
        transition("scheduled", "boarding")
    assert error.value.code == "unknown_session_state"
