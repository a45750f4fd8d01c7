"""KetaCare facts to FHIR R4 resources, each validated by parsing with fhir.resources R4B.

Targets FHIR R4 (4.0.1) using only elements identical in R4B (docs/adr/0003). Codes and their
sources: ``interop.fhir.codes``. ``prefetch_for_input`` writes a recommendation input as the
CDS Hooks prefetch an EHR would send (Patient, Conditions, Observations, MedicationStatements),
so the same facts can be read back by ``inbound`` (round trip).

What it does not do: profiles beyond base R4 (no US Core meta.profile claims), terminology
server look-ups, or identifiers that would re-identify a patient outside KetaCare.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource

from ketacare.clinical.eligibility.screening import SubstanceUseDisorder
from ketacare.clinical.recommendations import RecommendationInput, TreatmentOption
from ketacare.clinical.recommendations.inputs import UNCONFIRMABLE_FACTS
from ketacare.interop.fhir import codes as c


def validated(model: type[Resource], data: dict[str, Any]) -> Any:
    """Parse ``data`` with the R4B model (raises on an invalid resource) and return it."""
    return model.model_validate(data)


def checked(resource: dict[str, Any]) -> dict[str, Any]:
    """Parse a wire-form resource with its R4B model (raises if invalid) and return it as is,
    so what is sent is exactly what the builder made and the model accepted."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def as_json(resource: Any) -> dict[str, Any]:
    return json.loads(resource.model_dump_json())


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _local(code: str) -> dict[str, Any]:
    return _concept(c.LOCAL, code)


def _ref(patient_id: str) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def _when(at: datetime) -> str:
    return at.isoformat()


def patient_resource(patient_id: str, *, birth_date: date, gender: str = "unknown") -> Patient:
    return validated(
        Patient,
        {
            "resourceType": "Patient",
            "id": patient_id,
            "birthDate": birth_date.isoformat(),
            "gender": gender,
        },
    )


def _observation(
    patient_id: str,
    obs_id: str,
    code: dict[str, Any],
    at: datetime,
    *,
    category: str = "survey",
    **value: Any,
) -> Observation:
    return validated(
        Observation,
        {
            "resourceType": "Observation",
            "id": obs_id,
            "status": "final",
            "category": [_concept(c.OBSERVATION_CATEGORY, category)],
            "code": code,
            "subject": _ref(patient_id),
            "effectiveDateTime": _when(at),
            **value,
        },
    )


def questionnaire_total_observation(
    patient_id: str,
    obs_id: str,
    *,
    instrument: str,
    total: int,
    items: tuple[int, ...] | None,
    at: datetime,
) -> Observation:
    """A PHQ-9 or GAD-7 total (LOINC) with its item answers as LOINC-coded components."""
    total_code, item_codes, name = {
        "phq9": (c.PHQ9_TOTAL, c.PHQ9_ITEMS, "PHQ-9 total score"),
        "gad7": (c.GAD7_TOTAL, c.GAD7_ITEMS, "GAD-7 total score"),
    }[instrument]
    components = []
    if items is not None:
        if len(items) != len(item_codes):
            raise ValueError(f"{name}: expected {len(item_codes)} item answers")
        components = [
            {"code": _concept(c.LOINC, code), "valueInteger": value}
            for code, value in zip(item_codes, items, strict=True)
        ]
    extra = {"component": components} if components else {}
    return _observation(
        patient_id,
        obs_id,
        _concept(c.LOINC, total_code, name),
        at,
        valueQuantity={"value": total, "unit": "{score}", "system": c.UCUM, "code": "{score}"},
        **extra,
    )


def local_score_observation(
    patient_id: str, obs_id: str, *, code: str, total: int, at: datetime
) -> Observation:
    """MADRS or QIDS-SR16 total under the local code system (no verified LOINC code)."""
    return _observation(patient_id, obs_id, _local(code), at, valueInteger=total)


def blood_pressure_observation(
    patient_id: str, obs_id: str, *, systolic_mmhg: int, diastolic_mmhg: int, at: datetime
) -> Observation:
    def part(code: str, value: int) -> dict[str, Any]:
        return {
            "code": _concept(c.LOINC, code),
            "valueQuantity": {"value": value, "unit": "mmHg", "system": c.UCUM, "code": "mm[Hg]"},
        }

    return _observation(
        patient_id,
        obs_id,
        _concept(c.LOINC, c.BP_PANEL, "Blood pressure panel"),
        at,
        category="vital-signs",
        component=[part(c.BP_SYSTOLIC, systolic_mmhg), part(c.BP_DIASTOLIC, diastolic_mmhg)],
    )


def condition_resource(
    patient_id: str, cond_id: str, *, system: str, code: str, display: str | None = None
) -> Condition:
    return validated(
        Condition,
        {
            "resourceType": "Condition",
            "id": cond_id,
            "clinicalStatus": _concept(c.CONDITION_CLINICAL, "active"),
            "code": _concept(system, code, display),
            "subject": _ref(patient_id),
        },
    )


def medication_trial_statement(
    patient_id: str, stmt_id: str, *, drug: str, outcome: str
) -> MedicationStatement:
    """A completed antidepressant trial; ``outcome`` (no_response, partial_response, response,
    intolerance) is carried in statusReason under the local code system."""
    return validated(
        MedicationStatement,
        {
            "resourceType": "MedicationStatement",
            "id": stmt_id,
            "status": "completed",
            "statusReason": [_local(f"{c.TRIAL_FAILED_PREFIX}{outcome}")],
            "medicationCodeableConcept": {"text": drug},
            "subject": _ref(patient_id),
        },
    )


def medication_administration_resource(
    patient_id: str, admin_id: str, *, drug: str, dose_mg: Decimal, route: str, at: datetime
) -> MedicationAdministration:
    return validated(
        MedicationAdministration,
        {
            "resourceType": "MedicationAdministration",
            "id": admin_id,
            "status": "completed",
            "medicationCodeableConcept": {"text": drug},
            "subject": _ref(patient_id),
            "effectiveDateTime": _when(at),
            "dosage": {
                "route": {"text": route},
                "dose": {"value": dose_mg, "unit": "mg", "system": c.UCUM, "code": "mg"},
            },
        },
    )


def consent_resource(
    patient_id: str, consent_id: str, *, route: str, signed_at: datetime, active: bool
) -> Consent:
    return validated(
        Consent,
        {
            "resourceType": "Consent",
            "id": consent_id,
            "status": "active" if active else "inactive",
            "scope": _concept("http://terminology.hl7.org/CodeSystem/consentscope", "treatment"),
            "category": [{"text": f"Ketamine treatment consent ({route})"}],
            "patient": _ref(patient_id),
            "dateTime": _when(signed_at),
            "policyRule": _concept(
                "http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in"
            ),
        },
    )


def adverse_event_resource(
    patient_id: str, event_id: str, *, description: str, at: datetime, serious: bool
) -> AdverseEvent:
    return validated(
        AdverseEvent,
        {
            "resourceType": "AdverseEvent",
            "id": event_id,
            "actuality": "actual",
            "event": {"text": description},
            "subject": _ref(patient_id),
            "date": _when(at),
            "seriousness": _concept(
                "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
                # R4 adverse-event-seriousness codes are capitalised: Serious | Non-serious.
                "Serious" if serious else "Non-serious",
            ),
        },
    )


def care_plan_for_choice(
    patient_id: str,
    plan_id: str,
    *,
    option: TreatmentOption,
    reason: str,
    created: datetime,
    top_option: TreatmentOption | None,
) -> CarePlan:
    """The prescriber's adopted option as a CarePlan activity, with the reason when it differs
    from the engine's top option."""
    note = (
        [{"text": f"Chosen over {top_option.label}: {reason}"}]
        if top_option
        not in (
            None,
            option,
        )
        else ([{"text": reason}] if reason.strip() else [])
    )
    data: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": plan_id,
        "status": "active",
        "intent": "plan",
        "subject": _ref(patient_id),
        "created": _when(created),
        "description": "Treatment adopted from KetaCare decision support.",
        "activity": [
            {
                "detail": {
                    "code": {**_local(option.value), "text": option.label},
                    "status": "not-started",
                }
            }
        ],
    }
    if note:
        data["note"] = note
    return validated(CarePlan, data)


# --- a recommendation input as CDS prefetch ------------------------------------------------------


def _bundle(resources: list[Any]) -> dict[str, Any]:
    return as_json(
        validated(
            Bundle,
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(resources),
                "entry": [{"resource": as_json(r)} for r in resources],
            },
        )
    )


def prefetch_for_input(
    inp: RecommendationInput, *, patient_id: str, birth_date: date
) -> dict[str, Any]:
    """The CDS Hooks prefetch (keys patient, conditions, observations, medications) that
    carries ``inp``; ``inbound.recommendation_input_from_prefetch`` reads it back."""
    at = inp.as_of
    conditions = [condition_resource(patient_id, "mdd", system=c.SNOMED, code=c.SNOMED_MDD)]
    for ci in sorted(inp.eligibility.contraindications):
        conditions.append(
            condition_resource(
                patient_id,
                f"ci-{ci.value}".replace("_", "-"),
                system=c.LOCAL,
                code=f"{c.CONTRAINDICATION_PREFIX}{ci.value}",
            )
        )
    for flag, code in (
        (inp.current_psychosis, c.CURRENT_PSYCHOSIS),
        (inp.pregnant, c.PREGNANCY),
        (inp.uncontrolled_hypertension, c.UNCONTROLLED_HYPERTENSION),
        (inp.substance_use_disorder is SubstanceUseDisorder.ACTIVE, c.SUD_ACTIVE),
        (inp.substance_use_disorder is SubstanceUseDisorder.IN_REMISSION, c.SUD_IN_REMISSION),
    ):
        if flag:
            conditions.append(condition_resource(patient_id, code, system=c.LOCAL, code=code))

    obs: list[Observation] = []
    s = inp.scores
    if s.phq9_total is not None:
        obs.append(
            _observation(
                patient_id, "phq9", _concept(c.LOINC, c.PHQ9_TOTAL), at, valueInteger=s.phq9_total
            )
        )
    if s.phq9_item9 is not None:
        obs.append(
            _observation(
                patient_id,
                "phq9-item9",
                _concept(c.LOINC, c.PHQ9_ITEM9),
                at,
                valueInteger=s.phq9_item9,
            )
        )
    for code, value in ((c.MADRS_TOTAL, s.madrs_total), (c.QIDS_SR16_TOTAL, s.qids_sr16_total)):
        if value is not None:
            obs.append(local_score_observation(patient_id, code, code=code, total=value, at=at))
    if s.cssrs_risk is not None:
        obs.append(
            _observation(
                patient_id,
                "cssrs",
                _local(c.CSSRS_RISK),
                at,
                valueCodeableConcept=_local(s.cssrs_risk.value),
            )
        )
    if inp.latest_systolic_mmhg is not None and inp.latest_diastolic_mmhg is not None:
        obs.append(
            blood_pressure_observation(
                patient_id,
                "bp",
                systolic_mmhg=inp.latest_systolic_mmhg,
                diastolic_mmhg=inp.latest_diastolic_mmhg,
                at=at,
            )
        )
    answered = sorted(UNCONFIRMABLE_FACTS - inp.unconfirmed_facts)
    obs.append(
        _observation(
            patient_id,
            "evaluation",
            _local(c.EVALUATION_ANSWERED),
            at,
            component=[{"code": _local(f), "valueBoolean": True} for f in answered] or None,
        )
    )
    for caution in sorted(inp.eligibility.cautions):
        obs.append(
            _observation(
                patient_id,
                f"caution-{caution.value}".replace("_", "-"),
                _local(c.ELIGIBILITY_CAUTION),
                at,
                valueCodeableConcept=_local(caution.value),
            )
        )
    if inp.eligibility.maudsley_band is not None:
        obs.append(
            _observation(
                patient_id,
                "maudsley",
                _local(c.MAUDSLEY_BAND),
                at,
                valueCodeableConcept=_local(inp.eligibility.maudsley_band.value),
            )
        )
    for index, prior in enumerate(inp.history):
        parts: list[dict[str, Any]] = [
            {"code": _local("option"), "valueCodeableConcept": _local(prior.option.value)},
            {"code": _local("sessions"), "valueInteger": prior.sessions},
            {"code": _local("response"), "valueCodeableConcept": _local(prior.response.value)},
        ]
        if prior.durability_days is not None:
            parts.append(
                {
                    "code": _local("durability-days"),
                    "valueQuantity": {
                        "value": prior.durability_days,
                        "unit": "d",
                        "system": c.UCUM,
                        "code": "d",
                    },
                }
            )
        if prior.adequate is not None:
            parts.append({"code": _local("adequate"), "valueBoolean": prior.adequate})
        obs.append(
            _observation(
                patient_id, f"prior-{index}", _local(c.PRIOR_TREATMENT), at, component=parts
            )
        )
    p = inp.preferences
    prefs: list[dict[str, Any]] = [
        {"code": _local("preferred-option"), "valueCodeableConcept": _local(o.value)}
        for o in p.preferred
    ]
    prefs += [
        {"code": _local("declined-option"), "valueCodeableConcept": _local(o.value)}
        for o in sorted(p.declined)
    ]
    prefs += [
        {"code": _local("travel-burden"), "valueCodeableConcept": _local(p.travel_burden.value)},
        {"code": _local("cost-class"), "valueCodeableConcept": _local(p.cost_class.value)},
    ]
    obs.append(_observation(patient_id, "preferences", _local(c.PREFERENCES), at, component=prefs))

    meds = [
        medication_trial_statement(
            patient_id, f"trial-{i}", drug=f"antidepressant {i + 1}", outcome="no_response"
        )
        for i in range(inp.eligibility.adequate_failed_antidepressants)
    ]
    return {
        "patient": as_json(patient_resource(patient_id, birth_date=birth_date)),
        "conditions": _bundle(conditions),
        "observations": _bundle(obs),
        "medications": _bundle(meds),
    }
