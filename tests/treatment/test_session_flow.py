"""The clinic day, through the services: order, check in, vitals, clear, dose, observe,
discharge; and the REMS form for esketamine."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.support.vitals import NORMAL_VITALS

from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import GateBlocked
from ketacare.treatment.models import DoseAdministration, RemsForm, TreatmentSession
from ketacare.treatment.selectors import list_dose_events, session_status
from ketacare.treatment.services import (
    administer_dose,
    discharge_session,
    record_observation,
    record_vitals,
)

CADSS_ZERO = [0] * 23


def _dose_esketamine(actor, session, mg="56", gap_min=5):
    start = timezone.now() - timedelta(minutes=gap_min * (int(mg) // 28 - 1))
    times = [start + timedelta(minutes=gap_min * i) for i in range(int(mg) // 28)]
    return administer_dose(
        actor=actor,
        session=session,
        dose_mg=mg,
        device_times=times,
        lot_number="LOT-ESK-1",
        pulse_oximeter_available=True,
    )


def test_esketamine_session_walks_from_scheduled_to_discharged_and_gets_a_rems_form(
    esketamine_course, cleared, nurse, prescriber, clock
):
    from decimal import Decimal

    session = cleared(esketamine_course.sessions[0])
    assert session.state == "cleared"
    clock.shift(timedelta(minutes=10))
    dose = _dose_esketamine(prescriber, session)
    assert dose.dose_mg == Decimal("56")
    session = TreatmentSession.objects.get(pk=session.pk)
    assert session.state == "dosing"
    assert session.prescriber_on_site == prescriber

    # 40 min after the last (second) device: the label's BP check "after administration"
    clock.shift(timedelta(minutes=40))
    record_vitals(actor=nurse, session=session, taken_at=timezone.now(), **NORMAL_VITALS)
    record_observation(
        actor=nurse, session=session, scale="moaas", items=[4], observed_at=timezone.now()
    )
    assert TreatmentSession.objects.get(pk=session.pk).state == "observation"
    clock.shift(timedelta(minutes=75))  # 115 min after the last device
    record_vitals(actor=nurse, session=session, taken_at=timezone.now(), **NORMAL_VITALS)
    record_observation(
        actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
    )
    record_observation(
        actor=nurse,
        session=session,
        scale="cadss",
        items=CADSS_ZERO,
        observed_at=timezone.now(),
        dissociation_resolved=True,
    )
    clock.shift(timedelta(minutes=5))  # 120 min after the last device, 125 after the first
    discharged = discharge_session(
        actor=nurse, session=session, clinician_ready=True, ready_to_leave_without_minimum_min=90
    )
    assert discharged.state == "discharged"
    form = RemsForm.objects.get(session=session)
    answers = form.data["answers"]
    assert answers["dose_mg"] == "56.00"
    assert answers["bp_40_min_after_administration"] == {"systolic_mmhg": 124, "diastolic_mmhg": 78}
    assert answers["sedation"] is True  # MOAA/S fell from 5 to 4
    # The record holds no phone number for the monitoring provider: staff complete it.
    assert form.data["complete"] is False
    assert "monitoring_provider_phone" in form.data["missing"]
    assert "ready_to_leave_without_minimum_min" not in form.data["missing"]
    assert [e.given_at for e in list_dose_events(session.patient)] == [dose.started_at]


def test_iv_session_computes_the_weight_based_dose_and_the_volume(iv_course, cleared, prescriber):
    from decimal import Decimal

    session = cleared(iv_course.sessions[0])
    administer_dose(
        actor=prescriber,
        session=session,
        vial_concentration_mg_per_ml=Decimal("10"),
        lot_number="LOT-K-1",
        pulse_oximeter_available=True,
    )
    dose = DoseAdministration.objects.get(session=session)
    # 0.5 mg/kg x 70 kg = 35 mg; at 10 mg/mL that is 3.5 mL, measurable with 0.1 mL steps.
    assert dose.dose_mg == Decimal("35.00")
    assert dose.volume_ml == Decimal("3.500")
    assert dose.infusion_duration_min == 40


def test_session_status_shows_what_blocks_the_next_step(esketamine_course, checked_in):
    session = checked_in(esketamine_course.sessions[0])
    status = session_status(TreatmentSession.objects.get(pk=session.pk), timezone.now())
    codes = {b["code"] for b in status["blockers"]}
    assert codes == {"ride_home_missing"}
    # Fasting before esketamine is guidance (S58): acknowledged, not overridden (issue 16.2).
    assert {a["code"] for a in status["acknowledgments"]} == {"npo_not_confirmed"}
    assert "cleared" in status["allowed_next"]


def test_refused_discharge_writes_nothing_but_a_refusal_entry(
    esketamine_course, cleared, prescriber, nurse, unchanged, clock
):
    session = cleared(esketamine_course.sessions[0])
    _dose_esketamine(prescriber, session)
    record_observation(
        actor=nurse, session=session, scale="moaas", items=[5], observed_at=timezone.now()
    )
    check = unchanged(TreatmentSession, RemsForm)
    with pytest.raises(GateBlocked) as err:
        discharge_session(actor=nurse, session=session, clinician_ready=True)
    assert "discharge_too_early" in err.value.decision.codes
    check()
    assert AuditEntry.objects.filter(action="refused").exists()
