"""KetaCare records as FHIR R4 (4.0.1) JSON resources: one builder per kind of record.

Builders take the apps' rows and return plain JSON dicts (the wire form). The server parses each
one it serves with the fhir.resources R4B model (``outbound.validated``, docs/adr/0003); Bulk
export writes the same dicts unparsed, for speed; and the tests validate every kind with the
official FHIR R4 JSON Schema. So one builder defines a resource everywhere it is sent.

Ids: ``<pk>`` for Patient, Practitioner, Encounter (session), MedicationRequest (course),
MedicationAdministration (dose), Consent (signature), CarePlan, AdverseEvent and Condition
(diagnosis); a prefix where one FHIR type gathers several KetaCare records: Observation
``assessment-``, ``bp-``, ``heart-rate-``, ``spo2-``, ``resp-rate-``, ``weight-``,
``session-scale-``; MedicationStatement ``medication-`` and ``trial-``; QuestionnaireResponse
``assessment-``; Provenance and AuditEvent ``<audit entry pk>``; Questionnaire ``<scale code>``.

Codes (``codes``): LOINC for PHQ-9/GAD-7 panels, totals and items, vital signs and body weight;
SNOMED CT routes; RxNorm for ketamine and esketamine; ICD-10-CM diagnoses; UCUM units. MADRS,
QIDS-SR16, C-SSRS, MOAA/S and CADSS use the local code system until LOINC codes are verified
(docs/adr/0003). Profiles are claimed in ``meta.profile`` only where the resource carries every
element the profile requires (Patient: US Core Patient; vital signs: the R4 vital-signs profiles
and their US Core counterparts).

Deliberately not done: no narrative (``text``), which R4 makes optional for these resources;
no free-text clinical notes leave KetaCare through FHIR except AdverseEvent descriptions and
care-plan component descriptions, which are the record's clinical content.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ketacare.clinical.scales import SCALES
from ketacare.interop.fhir import codes as c

Json = dict[str, Any]


def instant(at: datetime) -> str:
    return at.isoformat()


def number(value: Decimal | int | float) -> int | float:
    """A FHIR decimal as a JSON number (integral values without a fraction)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def coding(system: str, code: str, display: str | None = None) -> Json:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    out: Json = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def local(code: str, text: str | None = None) -> Json:
    return concept(c.LOCAL, code, text=text)


def ref(resource_type: str, rid: Any, display: str | None = None) -> Json:
    out = {"reference": f"{resource_type}/{rid}"}
    if display:
        out["display"] = display
    return out


def patient_ref(patient_id: int) -> Json:
    return ref("Patient", patient_id)


def quantity(value: Decimal | int, unit: str, code: str | None = None) -> Json:
    return {"value": number(value), "unit": unit, "system": c.UCUM, "code": code or unit}


def _meta(last_updated: datetime | None, *profiles: str) -> Json:
    meta: Json = {}
    if last_updated is not None:
        meta["lastUpdated"] = instant(last_updated)
    if profiles:
        meta["profile"] = list(profiles)
    return meta


def _drop_empty(data: Json) -> Json:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


# --- Patient and Practitioner ------------------------------------------------------------------

# KetaCare records sex as female | male | intersex | unknown. FHIR R4 Patient.gender is the
# administrative gender value set (male | female | other | unknown): intersex is sent as
# "other", and the recorded value rides along in an extension coded with the v3
# AdministrativeGender "UN" (Undifferentiated: "could not be uniquely defined as male or
# female, such as intersex"), so no information is lost and the value set holds.
_GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def patient(row: Any) -> Json:
    data: Json = {
        "resourceType": "Patient",
        "id": str(row.pk),
        "meta": _meta(row.updated_at, c.PROFILE_PATIENT),
        "identifier": [
            {
                "use": "usual",
                "type": concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"
                ),
                "system": f"{c.MRN_SYSTEM_PREFIX}{row.clinic_id}",
                "value": row.mrn,
            }
        ],
        "active": row.status == "active",
        "name": [{"use": "official", "family": row.family_name, "given": [row.given_name]}],
        "gender": _GENDER.get(row.sex, "unknown"),
        "birthDate": row.date_of_birth.isoformat(),
    }
    if row.sex == "intersex":
        data["extension"] = [
            {
                "url": c.RECORDED_SEX_EXTENSION,
                "valueCodeableConcept": concept(
                    c.V3_ADMIN_GENDER, "UN", "Undifferentiated", text="Intersex"
                ),
            }
        ]
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    if telecom:
        data["telecom"] = telecom
    if row.address:
        data["address"] = [{"text": row.address}]
    return data


def practitioner(user: Any) -> Json:
    name: Json = {}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    name["text"] = user.get_full_name() or user.username
    data: Json = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": bool(user.is_active),
        "name": [name],
    }
    if user.license_number:
        data["qualification"] = [
            {
                "identifier": [
                    {"system": f"{c.LOCAL_BASE}/identifier/licence", "value": user.license_number}
                ],
                "code": {"text": f"Licensed {user.get_role_display().lower()}"},
                **(
                    {"period": {"end": user.license_expiry.isoformat()}}
                    if user.license_expiry
                    else {}
                ),
            }
        ]
    return data


# --- Condition and MedicationStatement ---------------------------------------------------------


def condition(row: Any) -> Json:
    active = row.status == "active" and row.superseded_by_id is None
    data: Json = {
        "resourceType": "Condition",
        "id": str(row.pk),
        "meta": _meta(row.created_at),
        "clinicalStatus": concept(
            c.CONDITION_CLINICAL, "active" if row.status == "active" else "resolved"
        ),
        "verificationStatus": concept(
            c.CONDITION_VERIFICATION, "confirmed" if row.superseded_by_id is None else "refuted"
        )
        if row.superseded_by_id is None
        else concept(c.CONDITION_VERIFICATION, "entered-in-error"),
        "category": [concept(c.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": concept(c.ICD10CM, row.icd10_code, row.description or None),
        "subject": patient_ref(row.patient_id),
        "recordedDate": instant(row.created_at),
    }
    if row.onset_date:
        data["onsetDateTime"] = row.onset_date.isoformat()
    if not active and row.superseded_by_id is not None and row.supersede_reason:
        data["note"] = [{"text": f"Superseded: {row.supersede_reason}"}]
    return data


def _statement_status(started: date | None, stopped: date | None, superseded: bool) -> str:
    if superseded:
        return "entered-in-error"
    return "completed" if stopped else "active"


def medication_statement(row: Any) -> Json:
    """A current or past medicine from the patient's medication list."""
    data: Json = {
        "resourceType": "MedicationStatement",
        "id": f"medication-{row.pk}",
        "meta": _meta(row.created_at),
        "status": _statement_status(
            row.started_on, row.stopped_on, row.superseded_by_id is not None
        ),
        "category": local(f"medication-class-{row.drug_class}"),
        "medicationCodeableConcept": {"text": row.name},
        "subject": patient_ref(row.patient_id),
        "dateAsserted": instant(row.created_at),
    }
    period = _drop_empty(
        {
            "start": row.started_on.isoformat() if row.started_on else None,
            "end": row.stopped_on.isoformat() if row.stopped_on else None,
        }
    )
    if period:
        data["effectivePeriod"] = period
    if row.dose_text:
        data["dosage"] = [{"text": row.dose_text}]
    return data


def medication_trial_statement(row: Any) -> Json:
    """A completed antidepressant trial; its outcome in statusReason (local codes, read back by
    ``inbound``), its adequacy and weeks as local extensions-free fields: dosage and note."""
    data: Json = {
        "resourceType": "MedicationStatement",
        "id": f"trial-{row.pk}",
        "meta": _meta(row.created_at),
        "status": "entered-in-error" if row.superseded_by_id is not None else "completed",
        "statusReason": [local(f"{c.TRIAL_FAILED_PREFIX}{row.outcome}")],
        "category": local("antidepressant-trial", "Antidepressant trial"),
        "medicationCodeableConcept": {"text": row.drug},
        "subject": patient_ref(row.patient_id),
        "dateAsserted": instant(row.created_at),
        "dosage": [
            {
                "text": f"{number(row.dose_mg_per_day)} mg/day for {row.weeks} weeks",
                "doseAndRate": [{"doseQuantity": quantity(row.dose_mg_per_day, "mg")}],
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            }
        ],
        "note": [
            {
                "text": (
                    f"{'Adequate' if row.adequate else 'Not adequate'} trial "
                    f"({row.weeks} weeks, adherence {row.adherence})"
                    + (", augmentation" if row.augmentation else "")
                )
            }
        ],
    }
    return data


# --- Observations ------------------------------------------------------------------------------


def _observation(
    oid: str,
    patient_id: int,
    code: Json,
    at: datetime,
    category: str,
    created_at: datetime,
    *profiles: str,
    encounter_id: int | None = None,
    performer_id: int | None = None,
) -> Json:
    data: Json = {
        "resourceType": "Observation",
        "id": oid,
        "meta": _meta(created_at, *profiles),
        "status": "final",
        "category": [concept(c.OBSERVATION_CATEGORY, category, _CATEGORY_DISPLAY[category])],
        "code": code,
        "subject": patient_ref(patient_id),
        "effectiveDateTime": instant(at),
        "issued": instant(created_at),
    }
    if encounter_id is not None:
        data["encounter"] = ref("Encounter", encounter_id)
    if performer_id is not None:
        data["performer"] = [ref("Practitioner", performer_id)]
    return data


_CATEGORY_DISPLAY = {"survey": "Survey", "vital-signs": "Vital Signs", "exam": "Exam"}


def scale_observation(row: Any) -> Json:
    """A scored scale: the total (or C-SSRS risk level) with each item as a component,
    derived from the QuestionnaireResponse of the same answers."""
    instrument = SCALES.get(row.instrument)
    system, code, display = c.SCALE_TOTAL_CODES.get(
        row.instrument, (c.LOCAL, f"{row.instrument}-total", f"{row.instrument} total")
    )
    name = instrument.short_name if instrument else row.instrument
    data = _observation(
        f"assessment-{row.pk}",
        row.patient_id,
        concept(system, code, display, text=f"{name} total" if row.total is not None else name),
        row.taken_at,
        "survey",
        row.created_at,
        encounter_id=row.session_id,
        performer_id=row.submitted_by_id if row.channel == "clinician" else None,
    )
    if row.total is not None:
        data["valueQuantity"] = {
            "value": row.total,
            "unit": "{score}",
            "system": c.UCUM,
            "code": "{score}",
        }
    elif row.severity:
        data["valueCodeableConcept"] = local(row.severity, row.severity_label or row.severity)
    if row.severity and row.total is not None:
        data["interpretation"] = [local(f"{row.instrument}-{row.severity}", row.severity_label)]
    item_codes = c.SCALE_ITEM_CODES.get(row.instrument)
    components = []
    for number_, value in enumerate(row.items, start=1):
        if value is None:
            continue
        item_code = (
            concept(c.LOINC, item_codes[number_ - 1])
            if item_codes
            else local(f"{row.instrument}-item-{number_}")
        )
        item_code["text"] = instrument.items[number_ - 1].label if instrument else f"Item {number_}"
        components.append({"code": item_code, "valueInteger": value})
    if components:
        data["component"] = components
    data["derivedFrom"] = [ref("QuestionnaireResponse", f"assessment-{row.pk}")]
    return data


def _vital(prefix: str, loinc: str, display: str, row: Any, patient_id: int, **value: Any) -> Json:
    data = _observation(
        f"{prefix}-{row.pk}",
        patient_id,
        concept(c.LOINC, loinc, display),
        row.taken_at,
        "vital-signs",
        row.created_at,
        *c.VITAL_PROFILES[loinc],
        encounter_id=row.session_id,
    )
    data.update(value)
    return data


def blood_pressure(row: Any, patient_id: int) -> Json:
    def part(code: str, display: str, mmhg: int) -> Json:
        return {
            "code": concept(c.LOINC, code, display),
            "valueQuantity": quantity(mmhg, "mmHg", "mm[Hg]"),
        }

    return _vital(
        "bp",
        c.BP_PANEL,
        "Blood pressure panel with all children optional",
        row,
        patient_id,
        component=[
            part(c.BP_SYSTOLIC, "Systolic blood pressure", row.systolic_mmhg),
            part(c.BP_DIASTOLIC, "Diastolic blood pressure", row.diastolic_mmhg),
        ],
    )


def heart_rate(row: Any, patient_id: int) -> Json:
    return _vital(
        "heart-rate",
        c.HEART_RATE,
        "Heart rate",
        row,
        patient_id,
        valueQuantity=quantity(row.heart_rate_bpm, "beats/minute", "/min"),
    )


def respiratory_rate(row: Any, patient_id: int) -> Json:
    return _vital(
        "resp-rate",
        c.RESPIRATORY_RATE,
        "Respiratory rate",
        row,
        patient_id,
        valueQuantity=quantity(row.respiratory_rate_per_min, "breaths/minute", "/min"),
    )


def oxygen_saturation(row: Any, patient_id: int) -> Json:
    data = _vital(
        "spo2",
        c.SPO2,
        "Oxygen saturation in Arterial blood by Pulse oximetry",
        row,
        patient_id,
        valueQuantity=quantity(row.spo2_percent, "%"),
    )
    # The R4 oxygensat profile fixes 2708-6; US Core pulse oximetry asks for 59408-5 too.
    data["code"]["coding"].append(
        coding(c.LOINC, c.SPO2_ARTERIAL, "Oxygen saturation in Arterial blood")
    )
    return data


def body_weight(row: Any) -> Json:
    data = _observation(
        f"weight-{row.pk}",
        row.patient_id,
        concept(c.LOINC, c.BODY_WEIGHT, "Body weight"),
        row.measured_at,
        "vital-signs",
        row.created_at,
        *c.VITAL_PROFILES[c.BODY_WEIGHT],
    )
    data["valueQuantity"] = quantity(row.weight_kg, "kg")
    if row.superseded_by_id is not None:
        data["status"] = "entered-in-error"
    return data


def session_scale(row: Any, patient_id: int) -> Json:
    """MOAA/S (sedation) or CADSS (dissociation) rated during a session."""
    code = c.SESSION_SCALE_CODES.get(row.scale, f"{row.scale}-total")
    name = {"moaas": "MOAA/S", "cadss": "CADSS"}.get(row.scale, row.scale)
    data = _observation(
        f"session-scale-{row.pk}",
        patient_id,
        local(code, f"{name} {'score' if row.scale == 'moaas' else 'total'}"),
        row.observed_at,
        "exam",
        row.created_at,
        encounter_id=row.session_id,
    )
    data["valueQuantity"] = {
        "value": row.total,
        "unit": "{score}",
        "system": c.UCUM,
        "code": "{score}",
    }
    return data


# --- Questionnaire and QuestionnaireResponse --------------------------------------------------


def questionnaire_id(instrument_code: str) -> str:
    return instrument_code.replace("_", "-")


def questionnaire(instrument: Any) -> Json:
    """The scale's definition: item numbers, neutral labels and allowed values (no copyrighted
    wording, as in the core), LOINC item codes where verified."""
    item_codes = c.SCALE_ITEM_CODES.get(instrument.code)
    items = []
    for spec in instrument.items:
        item: Json = {
            "linkId": str(spec.number),
            "text": spec.label,
            "type": "integer",
            "required": not spec.skippable,
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                    "valueInteger": spec.min_value,
                },
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                    "valueInteger": spec.max_value,
                },
            ],
        }
        if item_codes:
            item["code"] = [coding(c.LOINC, item_codes[spec.number - 1])]
        items.append(item)
    data: Json = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument.code),
        "url": c.QUESTIONNAIRE_BASE + questionnaire_id(instrument.code),
        "version": instrument.version,
        "name": questionnaire_id(instrument.code).replace("-", "_").upper(),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }
    panel = c.SCALE_PANEL_CODES.get(instrument.code)
    if panel:
        data["code"] = [coding(*panel)]
    if instrument.licence_note:
        data["copyright"] = instrument.licence_note
    return data


def questionnaire_response(row: Any) -> Json:
    data: Json = {
        "resourceType": "QuestionnaireResponse",
        "id": f"assessment-{row.pk}",
        "meta": _meta(row.created_at),
        "questionnaire": c.QUESTIONNAIRE_BASE + questionnaire_id(row.instrument),
        "status": "completed",
        "subject": patient_ref(row.patient_id),
        "authored": instant(row.taken_at),
        "item": [
            {"linkId": str(n), "answer": [{"valueInteger": v}]}
            for n, v in enumerate(row.items, start=1)
            if v is not None
        ],
    }
    if row.session_id is not None:
        data["encounter"] = ref("Encounter", row.session_id)
    if row.channel == "clinician" and row.submitted_by_id:
        data["author"] = ref("Practitioner", row.submitted_by_id)
    else:
        data["author"] = patient_ref(row.patient_id)
        data["source"] = patient_ref(row.patient_id)
    return data


# --- Treatment: courses, sessions, doses, adverse events ---------------------------------------


def _medication(drug: str, route: str) -> Json:
    if drug == "esketamine" or route == "intranasal":
        return concept(c.RXNORM, c.RXNORM_ESKETAMINE_NASAL_SPRAY, "esketamine Nasal Spray",
                       text="Esketamine nasal spray")  # fmt: skip
    return concept(c.RXNORM, c.RXNORM_KETAMINE, "ketamine", text="Ketamine hydrochloride")


def _route(route: str) -> Json:
    code, display = c.SNOMED_ROUTE.get(route, (None, None))
    if code is None:
        return {"text": route}
    return concept(c.SNOMED, code, display)


_COURSE_STATUS = {"active": "active", "completed": "completed", "stopped": "stopped"}


def medication_request(course: Any) -> Json:
    """The prescriber's course order: drug, route, dose (fixed mg or mg/kg) and schedule."""
    dose: Json
    if course.dose_mg is not None:
        dose = {"doseQuantity": quantity(course.dose_mg, "mg")}
    else:
        dose = {"doseQuantity": quantity(course.mg_per_kg, "mg/kg")}
    instruction: Json = {
        "text": (
            f"{course.planned_sessions} sessions"
            + (f", {course.sessions_per_week} a week" if course.sessions_per_week else "")
            + f" ({course.protocol_code})"
        ),
        "route": _route(course.route),
        "doseAndRate": [dose],
    }
    if course.sessions_per_week:
        instruction["timing"] = {
            "repeat": {
                "boundsPeriod": {"start": instant(course.start_at)},
                "count": course.planned_sessions,
                "frequency": course.sessions_per_week,
                "period": 1,
                "periodUnit": "wk",
            }
        }
    return {
        "resourceType": "MedicationRequest",
        "id": str(course.pk),
        "meta": _meta(course.created_at),
        "status": _COURSE_STATUS.get(course.status, "unknown"),
        "intent": "order",
        "medicationCodeableConcept": _medication(course.drug, course.route),
        "subject": patient_ref(course.patient_id),
        "authoredOn": instant(course.created_at),
        **(
            {"requester": ref("Practitioner", course.created_by_id)} if course.created_by_id else {}
        ),
        "dosageInstruction": [instruction],
        "groupIdentifier": {
            "system": f"{c.LOCAL_BASE}/identifier/protocol",
            "value": course.protocol_code,
        },
    }


def medication_administration(dose: Any, session: Any) -> Json:
    dosage: Json = {
        "route": _route(dose.route),
        "dose": quantity(dose.dose_mg, "mg"),
    }
    if dose.mg_per_kg is not None:
        dosage["text"] = f"{number(dose.mg_per_kg)} mg/kg at {number(dose.weight_kg)} kg"
    if dose.infusion_duration_min:
        dosage["rateQuantity"] = quantity(
            Decimal(dose.dose_mg) / Decimal(dose.infusion_duration_min), "mg/min"
        )
    data: Json = {
        "resourceType": "MedicationAdministration",
        "id": str(dose.pk),
        "meta": _meta(dose.created_at),
        "status": "completed",
        "medicationCodeableConcept": _medication(
            "esketamine" if dose.route == "intranasal" else "ketamine", dose.route
        ),
        "subject": patient_ref(session.patient_id),
        "context": ref("Encounter", session.pk),
        "request": ref("MedicationRequest", session.course_id),
        "dosage": dosage,
    }
    if dose.infusion_duration_min:
        from datetime import timedelta

        data["effectivePeriod"] = {
            "start": instant(dose.started_at),
            "end": instant(dose.started_at + timedelta(minutes=dose.infusion_duration_min)),
        }
    else:
        data["effectiveDateTime"] = instant(dose.started_at)
    if dose.created_by_id:
        data["performer"] = [{"actor": ref("Practitioner", dose.created_by_id)}]
    if dose.lot_number:
        data["note"] = [{"text": f"Lot {dose.lot_number}"}]
    return data


_ENCOUNTER_STATUS = {
    "scheduled": "planned",
    "checked_in": "arrived",
    "cleared": "in-progress",
    "dosing": "in-progress",
    "observation": "in-progress",
    "discharged": "finished",
    "cancelled": "cancelled",
    "aborted": "finished",  # stopped after the drug was given: the visit did take place
}


def encounter(session: Any) -> Json:
    start = session.checked_in_at or session.scheduled_at
    end = session.discharged_at or session.ended_at
    period: Json = {"start": instant(start)}
    if end is not None:
        period["end"] = instant(end)
    data: Json = {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "meta": _meta(session.updated_at),
        "status": _ENCOUNTER_STATUS.get(session.state, "unknown"),
        "class": coding(c.V3_ACT_CODE, "AMB", "ambulatory"),
        "type": [local("treatment-session", f"Treatment session {session.number}")],
        "subject": patient_ref(session.patient_id),
        "basedOn": [ref("MedicationRequest", session.course_id)],
        "period": period,
    }
    if session.state in ("cancelled", "aborted") and session.end_reason:
        data["reasonCode"] = [{"text": session.end_reason}]
    return data


def _seriousness(severity: str) -> str:
    # 21 CFR 312.32(a): death or a life-threatening event makes an adverse event serious; a
    # grade 3 event may be (hospitalisation) but the record does not say, so it is not claimed.
    return "Serious" if severity in ("life_threatening", "death") else "Non-serious"


_AE_SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe",
                "life_threatening": "severe", "death": "severe"}  # fmt: skip


def adverse_event(row: Any, session: Any) -> Json:
    outcome = "fatal" if row.severity == "death" else ("resolved" if row.resolved_at else "ongoing")
    data: Json = {
        "resourceType": "AdverseEvent",
        "id": str(row.pk),
        "meta": _meta(row.created_at),
        "actuality": "actual",
        "category": [local("session-adverse-event", "Adverse event during a treatment session")],
        "event": local(
            f"adverse-event-{row.event_type}", row.description or row.event_type.replace("_", " ")
        ),
        "subject": patient_ref(session.patient_id),
        "encounter": ref("Encounter", session.pk),
        "date": instant(row.onset_at),
        "recordedDate": instant(row.created_at),
        "seriousness": concept(
            c.AE_SERIOUSNESS, _seriousness(row.severity), _seriousness(row.severity)
        ),
        "severity": concept(
            c.AE_SEVERITY, _AE_SEVERITY[row.severity], text=f"CTCAE grade {row.ctcae_grade}"
        ),
        "outcome": concept(c.AE_OUTCOME, outcome, text=row.outcome or None),
    }
    if row.created_by_id:
        data["recorder"] = ref("Practitioner", row.created_by_id)
    if getattr(session, "dose_id_for_fhir", None):
        data["suspectEntity"] = [
            {"instance": ref("MedicationAdministration", session.dose_id_for_fhir)}
        ]
    return data


# --- Consent and CarePlan ----------------------------------------------------------------------


def consent(row: Any, route: str, version_number: int) -> Json:
    data: Json = {
        "resourceType": "Consent",
        "id": str(row.pk),
        "meta": _meta(row.created_at),
        "status": "inactive" if row.withdrawn_at else "active",
        "scope": concept(c.CONSENT_SCOPE, "treatment", "Treatment"),
        "category": [
            concept(
                c.LOINC,
                c.CONSENT_DOCUMENT,
                "Consent Document",
                text=f"Informed consent to {route} treatment, version {version_number}",
            )
        ],
        "patient": patient_ref(row.patient_id),
        "dateTime": instant(row.signed_at),
        "performer": [patient_ref(row.patient_id)],
        "sourceReference": {
            "reference": f"{c.LOCAL_BASE}/consent-document-version/{row.version_id}",
            "display": f"Version {version_number}",
        },
        "policyRule": concept(c.V3_ACT_CODE, "OPTIN", "opt-in"),
        "provision": {
            "type": "permit",
            "period": _drop_empty(
                {
                    "start": instant(row.signed_at),
                    "end": instant(row.withdrawn_at) if row.withdrawn_at else None,
                }
            ),
        },
    }
    return data


_COMPONENT_STATUS = {"planned": "not-started", "active": "in-progress", "completed": "completed",
                     "stopped": "stopped"}  # fmt: skip


def care_plan(plan: Any, components: list[Any]) -> Json:
    activities = []
    for comp in components:
        detail: Json = {
            "kind": "MedicationRequest" if comp.kind == "ketamine_course" else "ServiceRequest",
            "code": local(
                comp.kind + (f"-{comp.subkind}" if comp.subkind else ""), comp.description
            ),
            "status": _COMPONENT_STATUS.get(comp.status, "unknown"),
            "description": comp.description,
        }
        period = _drop_empty(
            {
                "start": comp.start_date.isoformat() if comp.start_date else None,
                "end": comp.end_date.isoformat() if comp.end_date else None,
            }
        )
        if period:
            detail["scheduledPeriod"] = period
        if comp.owner_id:
            detail["performer"] = [ref("Practitioner", comp.owner_id)]
        activity: Json = {"detail": detail}
        if comp.kind == "ketamine_course" and comp.treatment_course_id:
            activity = {"reference": ref("MedicationRequest", comp.treatment_course_id)}
        activities.append(activity)
    data: Json = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": _meta(plan.created_at),
        "status": "active" if plan.status == "active" else "revoked",
        "intent": "plan",
        "title": f"Treatment plan, version {plan.version}",
        "subject": patient_ref(plan.patient_id),
        "created": instant(plan.created_at),
    }
    if plan.created_by_id:
        data["author"] = ref("Practitioner", plan.created_by_id)
    if plan.supersedes_id:
        data["replaces"] = [ref("CarePlan", plan.supersedes_id)]
    if activities:
        data["activity"] = activities
    if plan.goals:
        data["note"] = [{"text": f"Goal: {goal}"} for goal in plan.goals]
    return data


# --- Provenance and AuditEvent (from the audit trail) ------------------------------------------

_ACTIVITY = {"create": "CREATE", "update": "UPDATE", "withdraw": "UPDATE", "supersede": "UPDATE",
             "override": "UPDATE"}  # fmt: skip


def provenance(entry: Any, target: Json) -> Json:
    """Who wrote a record and when, from the audit entry of the write."""
    agent: Json = {
        "type": concept(c.PROVENANCE_AGENT_TYPE, "author", "Author"),
        "who": ref("Practitioner", entry.actor_id)
        if entry.actor_id and entry.actor_role not in ("patient", "")
        else {"display": entry.actor_username or "system"},
    }
    data: Json = {
        "resourceType": "Provenance",
        "id": str(entry.pk),
        "target": [target],
        "recorded": instant(entry.occurred_at),
        "activity": concept(c.PROVENANCE_ACTIVITY, _ACTIVITY.get(entry.action, "UPDATE")),
        "agent": [agent],
    }
    if entry.reason:
        data["reason"] = [{"text": entry.reason[:1000]}]
    return data


_AUDIT_ACTION = {"create": "C", "read": "R", "update": "U", "withdraw": "U", "supersede": "U",
                 "override": "U", "refused": "E", "login": "E", "login_failed": "E",
                 "logout": "E", "export": "R"}  # fmt: skip


def audit_event(entry: Any) -> Json:
    action = _AUDIT_ACTION.get(entry.action, "E")
    failed = entry.action in ("refused", "login_failed")
    who: Json = (
        ref("Practitioner", entry.actor_id)
        if entry.actor_id and entry.actor_role not in ("patient", "")
        else {"display": entry.actor_username or "system"}
    )
    agent: Json = {"who": who, "requestor": True, "name": entry.actor_username or "system"}
    if entry.ip_address:
        agent["network"] = {"address": entry.ip_address, "type": "2"}
    data: Json = {
        "resourceType": "AuditEvent",
        "id": str(entry.pk),
        "type": coding(c.AUDIT_EVENT_TYPE, "rest", "RESTful Operation"),
        "action": action,
        "recorded": instant(entry.occurred_at),
        "outcome": "4" if failed else "0",
        "agent": [agent],
        "source": {
            "site": "KetaCare",
            "observer": {"display": f"KetaCare ({entry.channel or 'system'})"},
        },
        "entity": [
            _drop_empty(
                {
                    "what": {
                        "identifier": {
                            "system": f"{c.LOCAL_BASE}/identifier/record",
                            "value": f"{entry.target_type}/{entry.target_id}"
                            if entry.target_id
                            else entry.target_type,
                        }
                    },
                    "type": coding(c.AUDIT_ENTITY_TYPE, "2", "System Object"),
                    "description": entry.summary or None,
                    # The old hash chain's links, on entries written before the Merkle log
                    # (newer entries are proven with `ketacare audit prove`, issue 13).
                    "detail": [
                        {"type": "entry-hash", "valueString": entry.entry_hash},
                        {"type": "previous-hash", "valueString": entry.prev_hash},
                    ]
                    if entry.entry_hash
                    else None,
                }
            )
        ],
    }
    if entry.patient_id_snapshot:
        data["entity"].append(
            {
                "what": patient_ref(entry.patient_id_snapshot),
                "type": coding(c.AUDIT_ENTITY_TYPE, "1", "Person"),
            }
        )
    if failed:
        data["outcomeDesc"] = entry.summary or entry.action
    return data
