"""FHIR creates the clinic accepts (``POST /fhir/<Type>``), each through the service a clinician's
own page uses, so the same permission, clinic, validation and audit apply:

- ``QuestionnaireResponse`` of a KetaCare scale (``questionnaire`` its canonical URL, items by
  ``linkId``, ``valueInteger`` answers): a scored assessment (``measures.record_assessment``;
  alerts such as PHQ-9 item 9 fire as on the page). ``status`` must be ``completed``; the
  assessment context comes from the extension below, ``follow_up`` when absent.
- ``Observation`` body weight (LOINC 29463-7, UCUM ``kg``): the patient's weight record.
- ``Condition`` with an ICD-10-CM depressive-disorder code (F32.x, F33.x): a diagnosis on the
  problem list. Any other code is refused with what it is (terminology value sets): a label
  contraindication or warning belongs in the evaluation, reviewed by the prescriber; a code
  no value set knows is named as unrecognised, never stored as something else.
- ``MedicationStatement`` (RxNorm-coded, or text): an entry of the medication list, its class
  from the RxNorm value sets (antidepressant; other known classes by text are left ``other``).

Every body is parsed with the fhir.resources R4B model first (docs/adr/0003); a resource that
fails it is a 400, a rule of the clinic a 422, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from ketacare.clinical.plausibility import is_ascii_digits
from ketacare.clinical.scales import SCALES, ScaleKind
from ketacare.clinical.terminology import ICD10CM, RXNORM, Concept, classify
from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir import resources as r
from ketacare.interop.fhir.access import FhirPrincipal
from ketacare.interop.fhir.errors import FhirError
from ketacare.interop.fhir.server import access_patient_for
from ketacare.interop.fhir.writes import CREATORS

Json = dict[str, Any]
CONTEXT_EXTENSION = f"{c.LOCAL_BASE}/StructureDefinition/assessment-context"


def _parsed(model: type, data: Json) -> Any:
    try:
        return model.model_validate(data)
    except (ValidationError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0:3]
        raise FhirError(
            400,
            "structure",
            f"Not a valid {model.__name__}: {' '.join(first)}",
            details_code="invalid_resource",
        ) from None


def _invalid(message: str, code: str, *where: str) -> FhirError:
    return FhirError(422, "invalid", message, details_code=code, expression=list(where) or None)


def _patient(principal: FhirPrincipal, reference: Any, what: str, field: str) -> Any:
    ref = getattr(reference, "reference", None) or ""
    head, _, tail = ref.rpartition("/")
    if not head.endswith("Patient") or not is_ascii_digits(tail) or len(tail) > 18:
        raise _invalid(
            f"{field} must reference the Patient (Patient/<id>).", "patient_required", field
        )
    return access_patient_for(principal, int(tail), f"FHIR create {what}")


def _aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _invalid(
            f"{field} must be a date and time with a time zone.", "naive_datetime", field
        )
    return value


def _codings(concept: Any) -> list[tuple[str | None, str | None]]:
    return [(str(cd.system) if cd.system else None, cd.code) for cd in (concept.coding or [])]


def _display(concept: Any) -> str:
    for cd in concept.coding or []:
        if cd.display:
            return cd.display
    return concept.text or ""


# --- QuestionnaireResponse -----------------------------------------------------------------------


def _instrument(canonical: str) -> str:
    url = canonical.split("|", 1)[0]
    if not url.startswith(c.QUESTIONNAIRE_BASE):
        raise _invalid(
            f"questionnaire must be one of this server's Questionnaires "
            f"({c.QUESTIONNAIRE_BASE}<id>).",
            "unknown_questionnaire",
            "QuestionnaireResponse.questionnaire",
        )
    fhir_id = url.removeprefix(c.QUESTIONNAIRE_BASE)
    for code, instrument in SCALES.items():
        if instrument.kind is ScaleKind.MEASUREMENT and r.questionnaire_id(code) == fhir_id:
            return code
    raise _invalid(
        f"No scale is published as Questionnaire {fhir_id!r}.",
        "unknown_questionnaire",
        "QuestionnaireResponse.questionnaire",
    )


def _answers(instrument: str, items: list[Any]) -> list[int | None]:
    count = len(SCALES[instrument].items)
    answers: list[int | None] = [None] * count
    for item in items:
        where = f"QuestionnaireResponse.item.where(linkId='{item.linkId}')"
        if not is_ascii_digits(item.linkId) or not 1 <= int(item.linkId) <= count:
            raise _invalid(
                f"linkId {item.linkId!r} is not an item of {instrument} (1-{count}).",
                "unknown_item",
                where,
            )
        number = int(item.linkId)
        if answers[number - 1] is not None:
            raise _invalid(f"Item {number} is answered twice.", "duplicate_item", where)
        values = [a.valueInteger for a in (item.answer or []) if a.valueInteger is not None]
        if len(values) != 1 or len(item.answer or []) != 1:
            raise _invalid(
                f"Item {number} needs exactly one valueInteger answer.", "answer_not_integer", where
            )
        answers[number - 1] = values[0]
    return answers


def create_questionnaire_response(principal: FhirPrincipal, data: Json) -> Json:
    from ketacare.measures.services import record_assessment
    from ketacare.treatment.models import TreatmentSession

    qr = _parsed(QuestionnaireResponse, data)
    if qr.status != "completed":
        raise _invalid(
            "Only completed responses are recorded (status 'completed').",
            "not_completed",
            "QuestionnaireResponse.status",
        )
    if not qr.questionnaire:
        raise _invalid(
            "questionnaire is required.",
            "unknown_questionnaire",
            "QuestionnaireResponse.questionnaire",
        )
    instrument = _instrument(str(qr.questionnaire))
    if qr.authored is None:
        raise _invalid(
            "authored (when the scale was answered) is required.",
            "taken_at_required",
            "QuestionnaireResponse.authored",
        )
    taken_at = _aware(qr.authored, "QuestionnaireResponse.authored")
    patient = _patient(
        principal, qr.subject, "QuestionnaireResponse", "QuestionnaireResponse.subject"
    )
    contexts = [e.valueCode for e in (qr.extension or []) if str(e.url) == CONTEXT_EXTENSION]
    session_id = None
    if qr.encounter is not None:
        head, _, tail = (qr.encounter.reference or "").rpartition("/")
        session = (
            TreatmentSession.objects.filter(pk=int(tail), patient=patient).first()
            if head.endswith("Encounter") and is_ascii_digits(tail) and len(tail) < 19
            else None
        )
        if session is None:
            raise _invalid(
                "encounter must be one of this patient's sessions (Encounter/<id>).",
                "unknown_session",
                "QuestionnaireResponse.encounter",
            )
        session_id = session.pk
    row = record_assessment(
        actor=principal.user,
        patient=patient,
        instrument=instrument,
        items=_answers(instrument, list(qr.item or [])),
        context=contexts[0] if contexts else "follow_up",
        taken_at=taken_at,
        session_id=session_id,
    )
    return r.questionnaire_response(row.assessment)


# --- Observation: body weight --------------------------------------------------------------------


def create_observation(principal: FhirPrincipal, data: Json) -> Json:
    from ketacare.patients.services import record_weight

    obs = _parsed(Observation, data)
    if (c.LOINC, c.BODY_WEIGHT) not in {(s, code) for s, code in _codings(obs.code)}:
        raise _invalid(
            "Observations accepted here are body weight (LOINC 29463-7); scales come "
            "as QuestionnaireResponse.",
            "observation_not_accepted",
            "Observation.code",
        )
    if obs.status not in ("final", "amended", "corrected"):
        raise _invalid("Only final observations are recorded.", "not_final", "Observation.status")
    q = obs.valueQuantity
    if q is None or q.value is None or str(q.system or "") != c.UCUM or q.code != "kg":
        raise _invalid(
            "The weight must be a valueQuantity in kg (UCUM 'kg').",
            "unit_not_kg",
            "Observation.valueQuantity",
        )
    try:
        weight = Decimal(str(q.value))
    except InvalidOperation:
        raise _invalid(
            "The weight is not a number.", "not_a_number", "Observation.valueQuantity.value"
        ) from None
    measured_at = _aware(obs.effectiveDateTime, "Observation.effectiveDateTime")
    patient = _patient(principal, obs.subject, "Observation", "Observation.subject")
    row = record_weight(
        actor=principal.user, patient=patient, weight_kg=weight, measured_at=measured_at
    )
    return r.body_weight(row)


# --- Condition -----------------------------------------------------------------------------------


def create_condition(principal: FhirPrincipal, data: Json) -> Json:
    from ketacare.patients.services import record_diagnosis

    cond = _parsed(Condition, data)
    if cond.code is None:
        raise _invalid("code is required.", "code_required", "Condition.code")
    codings = _codings(cond.code)
    entries = classify(codings)
    depression = [
        code
        for system, code in codings
        if system == ICD10CM and code and code.upper().startswith(("F32", "F33"))
    ]
    if depression:
        patient = _patient(principal, cond.subject, "Condition", "Condition.subject")
        onset = cond.onsetDateTime
        row = record_diagnosis(
            actor=principal.user,
            patient=patient,
            icd10_code=depression[0],
            description=_display(cond.code)[:200],
            onset_date=onset.date() if isinstance(onset, datetime) else None,
        )
        return r.condition(row)
    if entries:
        named = ", ".join(sorted({e.concept.value.replace("_", " ") for e in entries}))
        raise _invalid(
            f"This code is {named}: record it in the patient's evaluation, where "
            "the prescriber reviews it; the problem list takes depressive-disorder "
            "diagnoses (ICD-10-CM F32.x, F33.x).",
            "condition_not_accepted",
            "Condition.code",
        )
    shown = ", ".join(f"{s or '?'}|{code or '?'}" for s, code in codings) or cond.code.text or "?"
    raise _invalid(
        f"Unrecognised condition code(s): {shown}. Nothing was recorded.",
        "unrecognised_code",
        "Condition.code",
    )


# --- MedicationStatement -------------------------------------------------------------------------


def create_medication_statement(principal: FhirPrincipal, data: Json) -> Json:
    from ketacare.patients.models import MedicationClass
    from ketacare.patients.services import record_medication

    ms = _parsed(MedicationStatement, data)
    concept = ms.medicationCodeableConcept
    if concept is None:
        raise _invalid(
            "medicationCodeableConcept is required (a Medication reference is not followed).",
            "medication_required",
            "MedicationStatement.medicationCodeableConcept",
        )
    if ms.status not in ("active", "completed", "stopped", "intended", "on-hold"):
        raise _invalid(
            f"A statement with status {ms.status!r} is not recorded.",
            "status_not_accepted",
            "MedicationStatement.status",
        )
    codings = _codings(concept)
    entries = classify(codings)
    if any(s == RXNORM for s, _ in codings) and not entries and not concept.text:
        shown = ", ".join(code or "?" for s, code in codings if s == RXNORM)
        raise _invalid(
            f"Unrecognised RxNorm code(s) {shown} and no text: say what the medicine is.",
            "unrecognised_code",
            "MedicationStatement.medicationCodeableConcept",
        )
    drug_class = (
        MedicationClass.ANTIDEPRESSANT
        if any(e.concept is Concept.ANTIDEPRESSANT for e in entries)
        else MedicationClass.OTHER
    )
    name = (_display(concept) or "").strip()
    if not name:
        raise _invalid(
            "The medicine needs a display or text.",
            "medication_name_required",
            "MedicationStatement.medicationCodeableConcept",
        )
    period = ms.effectivePeriod
    started = period.start if period is not None else None
    stopped = period.end if period is not None else None
    patient = _patient(principal, ms.subject, "MedicationStatement", "MedicationStatement.subject")
    row = record_medication(
        actor=principal.user,
        patient=patient,
        name=name[:200],
        drug_class=drug_class,
        dose_text=" ".join(d.text for d in (ms.dosage or []) if d.text)[:200],
        started_on=started.date() if isinstance(started, datetime) else started,
        stopped_on=stopped.date() if isinstance(stopped, datetime) else stopped,
    )
    return r.medication_statement(row)


CREATORS.update(
    {
        "QuestionnaireResponse": create_questionnaire_response,
        "Observation": create_observation,
        "Condition": create_condition,
        "MedicationStatement": create_medication_statement,
    }
)
