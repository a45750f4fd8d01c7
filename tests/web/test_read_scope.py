"""Shared reads of one page: the chart's panels read a patient's rows once, and nothing outside
a page's read scope ever sees a stale row."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.support.registration import registered_long_ago

from ketacare.patients.selectors import latest_weight, recent_weights
from ketacare.patients.services import record_weight, register_patient
from ketacare.read_scope import read_scope


def _weigh(prescriber, patient, kg: str, minutes_ago: int):
    return record_weight(
        actor=prescriber,
        patient=patient,
        weight_kg=Decimal(kg),
        measured_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_inside_a_page_scope_two_panels_share_one_read(prescriber, patient):
    _weigh(prescriber, patient, "71.5", 30)
    with read_scope(), CaptureQueriesContext(connection) as ctx:
        summary = recent_weights(patient)  # the summary panel
        for_dosing = latest_weight(patient)  # the pharmacokinetics panel
    assert len(ctx.captured_queries) == 1
    assert for_dosing == summary[0]
    assert for_dosing.weight_kg == Decimal("71.5")


def test_outside_a_scope_every_call_reads_the_database_afresh(prescriber, patient):
    _weigh(prescriber, patient, "71.5", 30)
    assert latest_weight(patient).weight_kg == Decimal("71.5")
    _weigh(prescriber, patient, "70.0", 5)  # a nurse weighs the patient again
    assert latest_weight(patient).weight_kg == Decimal("70.0")


def test_a_scope_ends_with_its_block(prescriber, patient):
    _weigh(prescriber, patient, "71.5", 30)
    with read_scope():
        assert latest_weight(patient).weight_kg == Decimal("71.5")
    _weigh(prescriber, patient, "70.0", 5)
    with read_scope():
        assert latest_weight(patient).weight_kg == Decimal("70.0")


def test_a_caller_reordering_its_list_does_not_reorder_another_panels(prescriber, patient):
    _weigh(prescriber, patient, "71.5", 30)
    _weigh(prescriber, patient, "70.0", 5)
    with read_scope():
        first = recent_weights(patient)
        first.reverse()
        assert [w.weight_kg for w in recent_weights(patient)] == [
            Decimal("70.0"),
            Decimal("71.5"),
        ]


def test_different_patients_are_not_confused(prescriber, patient):
    second_patient = register_patient(
        as_of=registered_long_ago(),
        actor=prescriber,
        given_name="Blake",
        family_name="Brennan",
        date_of_birth=date(1975, 2, 3),
        sex="male",
        current_episode_onset=date(2025, 9, 1),
    )
    _weigh(prescriber, patient, "71.5", 30)
    _weigh(prescriber, second_patient, "88.0", 30)
    with read_scope():
        assert latest_weight(patient).weight_kg == Decimal("71.5")
        assert latest_weight(second_patient).weight_kg == Decimal("88.0")
