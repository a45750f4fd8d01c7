"""One clinic's records for the permission matrices (tests/api, tests/web): a patient with a
signed consent, a care plan, an evaluation, a scheduled session, an open safety alert, a
controlled-substance discrepancy, a research export and an API token, each made by the role
that makes it in the clinic (rows written directly where the service's own gates are tested
elsewhere). ``clinic_records(people)`` answers the ids by the URL parameter names."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from tests.support.registration import registered_long_ago

from ketacare.accounts.models import Role

_NO = [
    "ect_used", "aneurysmal_vascular_disease_or_avm", "intracerebral_hemorrhage_history",
    "hypersensitivity_to_ketamine_or_esketamine", "psychosis_history", "current_psychosis",
    "pregnant", "breastfeeding", "uncontrolled_hypertension",
    "hypertensive_encephalopathy_history", "takes_cns_depressants", "takes_psychostimulants",
    "takes_maois",
]  # fmt: skip


def register_demo_patient(prescriber, given_name: str = "Avery", family_name: str = "Alvarez"):
    from ketacare.patients.services import register_patient

    return register_patient(
        as_of=registered_long_ago(),
        actor=prescriber, given_name=given_name, family_name=family_name,
        date_of_birth=date(1980, 5, 17), sex="female", current_episode_onset=date(2025, 6, 1),
    )  # fmt: skip


def consent(clinic_admin, nurse, patient) -> int:
    from ketacare.consent.services import publish_consent_version, sign_consent

    version = publish_consent_version(
        actor=clinic_admin, route="iv", title="IV consent", body="text",
        effective_at=timezone.now() - timedelta(days=1), material_change=False,
    )  # fmt: skip
    return sign_consent(
        actor=nurse, patient=patient, version=version, typed_name=patient.display_name
    ).pk


def plan_component(therapist, patient) -> int:
    from ketacare.careplans.services import ComponentInput, record_plan

    plan = record_plan(
        actor=therapist, patient=patient, goals=["remission"],
        components=[
            ComponentInput(kind="psychotherapy", subkind="integration", description="weekly")
        ],
    )  # fmt: skip
    return plan.components.get().pk


def evaluation(prescriber, patient) -> int:
    from ketacare.evaluation.mappers import ScreeningAnswers
    from ketacare.evaluation.services import record_evaluation

    answers = ScreeningAnswers.from_dict(
        {
            **dict.fromkeys(_NO, False),
            "route": "iv",
            "severity": "moderate",
            "substance_use_disorder": "none",
            "hepatic_impairment": "none",
            "cssrs": None,
            "substance_screen": None,
        }
    )
    return record_evaluation(actor=prescriber, patient=patient, answers=answers).pk


def session(prescriber, patient):
    """A scheduled esketamine session today (rows written directly: ordering's gates are
    tested in tests/treatment)."""
    from ketacare.audit.models import service_write
    from ketacare.protocols.selectors import get_active_protocol_version
    from ketacare.protocols.services import ensure_standard_protocols
    from ketacare.treatment.models import Course, TreatmentSession

    ensure_standard_protocols(clinic=prescriber.clinic)
    version = get_active_protocol_version(prescriber.clinic_id, "in_esketamine_trd")
    now, common = timezone.now(), {"clinic": prescriber.clinic, "created_by": prescriber}
    with service_write():
        course = Course.objects.create(
            **common, created_at=now, patient=patient, protocol_version=version,
            protocol_code=version.code, route=version.route, drug=version.drug,
            start_at=now, planned_sessions=1,
        )  # fmt: skip
        return TreatmentSession.objects.create(
            **common, created_at=now, course=course, patient=patient, number=1,
            course_week=1, scheduled_at=now, updated_at=now,
        )  # fmt: skip


def reading(nurse, treatment_session) -> int:
    """A pre-dose vital-signs reading of the session (row written directly)."""
    from ketacare.audit.models import service_write
    from ketacare.treatment.models import VitalsReading

    with service_write():
        return VitalsReading.objects.create(
            clinic=nurse.clinic, created_by=nurse, created_at=timezone.now(),
            session=treatment_session, taken_at=timezone.now(), phase="pre_dose",
            systolic_mmhg=120, diastolic_mmhg=80, heart_rate_bpm=70, spo2_percent=98,
            respiratory_rate_per_min=14,
        ).pk  # fmt: skip


def discrepancy(nurse) -> int:
    """A count shortage opens a controlled-substance discrepancy."""
    from ketacare.controlled_substances import services as cs

    (vial,) = cs.receive_stock(
        actor=nurse, drug="racemic_ketamine", concentration_mg_per_ml=Decimal("50"),
        description="10 mL vial", size_ml=Decimal("10"), lot="L1",
        expires_on=timezone.localdate() + timedelta(days=90), supplier_name="S",
        supplier_address="A", supplier_dea_number="BB1388568",
    )  # fmt: skip
    count = cs.record_inventory_count(
        actor=nurse, business_time="closing", complete=True,
        lines=[{"container_id": vial.pk, "counted_ml": Decimal("9")}],
    )  # fmt: skip
    return count.lines.get().discrepancy.pk


def alert(nurse, patient) -> int:
    from ketacare.measures.services import record_assessment

    recorded = record_assessment(
        actor=nurse, patient=patient, instrument="phq9", items=[0] * 8 + [1],
        context="follow_up", taken_at=timezone.now(),
    )  # fmt: skip
    return recorded.alerts[0].pk


def export(researcher) -> int:
    """A research export row (its file is missing: the download answers 404, past
    authorisation; the export service is tested in tests/research)."""
    from ketacare.audit.models import service_write
    from ketacare.research.models import ResearchExport

    now = timezone.now()
    with service_write():
        return ResearchExport.objects.create(
            clinic=researcher.clinic, created_by=researcher, created_at=now, as_of=now,
            cohort={}, method_version="test", min_cell_count=11, patient_count=0,
            row_counts={}, sha256="0" * 64, size_bytes=0, file_name="matrix-missing.zip",
        ).pk  # fmt: skip


def token(user) -> int:
    from ketacare.accounts.models import ApiToken
    from ketacare.accounts.services import issue_api_token

    issue_api_token(user=user)
    return ApiToken.objects.filter(user=user).latest("id").pk


def clinic_records(people: dict[str, Any], patient) -> dict[str, Any]:
    """Every record above for ``patient``'s clinic, made by that clinic's ``people`` (a
    user per role), keyed by the path parameter names the API and the pages use."""
    made = session(people[Role.PRESCRIBER], patient)
    nurse = people[Role.NURSE]
    return {
        "patient_id": patient.pk,
        "consent_id": consent(people[Role.CLINIC_ADMIN], nurse, patient),
        "component_id": plan_component(people[Role.THERAPIST], patient),
        "evaluation_id": evaluation(people[Role.PRESCRIBER], patient),
        "session_id": made.pk,
        "course_id": made.course_id,
        "reading_id": reading(nurse, made),
        "discrepancy_id": discrepancy(nurse),
        "alert_id": alert(nurse, patient),
        "export_id": export(people[Role.RESEARCHER]),
        "token_id": token(nurse),
        "user_id": nurse.pk,
    }


def clinic_people(clinic, suffix: str, make_user) -> tuple[dict[str, Any], Any]:
    """A login of every role at ``clinic`` (usernames ``<role>_<suffix>``, made with the
    ``make_login`` fixture) and the portal patient's record: ``(people by role, patient)``."""
    people = {
        role: make_user(clinic, role, f"{role}_{suffix}") for role in Role if role != Role.PATIENT
    }
    patient = register_demo_patient(people[Role.PRESCRIBER], "Blair", f"Other-{suffix}")
    people[Role.PATIENT] = make_user(clinic, Role.PATIENT, f"patient_{suffix}", patient=patient)
    return people, patient
