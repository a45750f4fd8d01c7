"""An EHR's FHIR R4 prefetch to the recommendation engine's input.

Reads the CDS Hooks prefetch keys ``patient`` (Patient), ``conditions`` (Bundle of Condition),
``observations`` (Bundle of Observation) and ``medications`` (Bundle of MedicationStatement).
Every resource is parsed with the fhir.resources R4B model first (docs/adr/0003).

Mapping (codes in ``interop.fhir.codes``):
- age from Patient.birthDate at ``as_of``;
- active Conditions: local contraindication/psychosis/pregnancy/hypertension/SUD codes, and
  ICD-10-CM F32.3 (psychotic features) for current psychosis;
- latest Observation per code: PHQ-9 total 44261-6 and item 9 44260-8 (also read from a
  PHQ-9 total's components), MADRS/QIDS-SR16/C-SSRS (local), BP panel 85354-9
  (8480-6/8462-4), evaluation-answered, eligibility cautions, Maudsley band, prior-treatment
  outcomes and preferences (local);
- MedicationStatements whose statusReason is a local ``adequate-trial-no_response`` or
  ``adequate-trial-partial_response`` count as adequate failed antidepressants (distinct drugs).

What it deliberately does not do: treat a missing fact as "no" silently. A fact the
``evaluation-answered`` Observation does not confirm is set to False *and* listed in
``unconfirmed_facts``, so the engine lowers every ketamine option and says what to confirm.
It never reads KetaCare's database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from ketacare.clinical.eligibility.maudsley import MaudsleyBand
from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.eligibility.verdict import Caution
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.recommendations import (
    ClinicCapabilities,
    Contraindication,
    CostClass,
    CurrentScores,
    EligibilityFacts,
    Preferences,
    PriorResponse,
    PriorTreatment,
    RecommendationInput,
    TravelBurden,
    TreatmentOption,
)
from ketacare.clinical.recommendations.inputs import UNCONFIRMABLE_FACTS
from ketacare.interop.fhir import codes as c

REQUIRED_PREFETCH = ("patient", "conditions", "observations", "medications")


class MissingPrefetch(Exception):
    """Required prefetch keys were absent, null or an OperationOutcome (CDS Hooks: 412)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"Missing required prefetch: {', '.join(keys)}")
        self.keys = keys


class InvalidPrefetch(Exception):
    """A prefetch resource did not parse as FHIR R4 (R4B models)."""


@dataclass(frozen=True)
class ParsedPrefetch:
    patient: Patient
    conditions: tuple[Condition, ...]
    observations: tuple[Observation, ...]
    medications: tuple[MedicationStatement, ...]


def _present(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") not in (None, "OperationOutcome")


def _entries(bundle: dict[str, Any], key: str, kind: type) -> tuple[Any, ...]:
    if bundle.get("resourceType") != "Bundle":
        raise InvalidPrefetch(f"Prefetch '{key}' must be a Bundle.")
    parsed = Bundle.model_validate(bundle)
    out = []
    for entry in parsed.entry or []:
        if isinstance(entry.resource, kind):
            out.append(entry.resource)
    return tuple(out)


def parse_prefetch(prefetch: Any) -> ParsedPrefetch:
    """Parse the four required prefetch keys with the R4B models."""
    prefetch = prefetch if isinstance(prefetch, dict) else {}
    missing = [k for k in REQUIRED_PREFETCH if not _present(prefetch.get(k))]
    if missing:
        raise MissingPrefetch(missing)
    try:
        if prefetch["patient"].get("resourceType") != "Patient":
            raise InvalidPrefetch("Prefetch 'patient' must be a Patient.")
        return ParsedPrefetch(
            patient=Patient.model_validate(prefetch["patient"]),
            conditions=_entries(prefetch["conditions"], "conditions", Condition),
            observations=_entries(prefetch["observations"], "observations", Observation),
            medications=_entries(prefetch["medications"], "medications", MedicationStatement),
        )
    except ValidationError as exc:
        raise InvalidPrefetch(
            f"Prefetch is not valid FHIR R4: {exc.error_count()} error(s)."
        ) from exc


def _codes(concept: Any) -> set[tuple[str, str]]:
    if concept is None:
        return set()
    return {(cd.system or "", cd.code or "") for cd in concept.coding or []}


def _local_code(concept: Any) -> str | None:
    for system, code in _codes(concept):
        if system == c.LOCAL:
            return code
    return None


def _has(concept: Any, system: str, code: str) -> bool:
    return (system, code) in _codes(concept)


def _active(cond: Condition) -> bool:
    status = _codes(cond.clinicalStatus)
    return (
        not status
        or (c.CONDITION_CLINICAL, "active") in status
        or (
            c.CONDITION_CLINICAL,
            "recurrence",
        )
        in status
    )


def _sorted_latest_first(observations: Iterable[Observation]) -> list[Observation]:
    def key(o: Observation) -> str:
        value = o.effectiveDateTime
        return value.isoformat() if value is not None else ""

    return sorted(observations, key=key, reverse=True)


def _latest(observations: list[Observation], system: str, code: str) -> Observation | None:
    for o in observations:
        if _has(o.code, system, code) and o.status in ("final", "amended", "corrected"):
            return o
    return None


def _int_value(obs: Observation | None) -> int | None:
    if obs is None:
        return None
    if obs.valueInteger is not None:
        return int(obs.valueInteger)
    if obs.valueQuantity is not None and obs.valueQuantity.value is not None:
        return int(obs.valueQuantity.value)
    return None


def _component_value(obs: Observation, system: str, code: str) -> Any:
    for comp in obs.component or []:
        if _has(comp.code, system, code):
            return comp
    return None


def _comp_int(comp: Any) -> int | None:
    if comp is None:
        return None
    if comp.valueInteger is not None:
        return int(comp.valueInteger)
    if comp.valueQuantity is not None and comp.valueQuantity.value is not None:
        return int(comp.valueQuantity.value)
    return None


def _age(birth: date, as_of: datetime) -> int:
    today = as_of.date()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _enum(kind: type, value: str | None, what: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        raise InvalidClinicalInput(
            "fhir_code_unknown", f"Unknown {what} code in the FHIR data: {value!r}."
        ) from exc


def recommendation_input_from_prefetch(
    parsed: ParsedPrefetch, *, as_of: datetime, clinic: ClinicCapabilities
) -> RecommendationInput:
    """Map parsed prefetch to the engine's input (see module docstring)."""
    birth = parsed.patient.birthDate
    if birth is None:
        raise InvalidClinicalInput("fhir_birth_date_missing", "The Patient has no birthDate.")
    active = [cd for cd in parsed.conditions if _active(cd)]
    local_conditions = {_local_code(cd.code) for cd in active} - {None}
    contraindications = frozenset(
        ci
        for ci in Contraindication
        if f"{c.CONTRAINDICATION_PREFIX}{ci.value}" in local_conditions
    )
    psychotic_icd = any(
        _has(cd.code, c.ICD10CM, code) for cd in active for code in c.ICD10_PSYCHOTIC_DEPRESSION
    )
    if c.SUD_ACTIVE in local_conditions:
        sud = SubstanceUseDisorder.ACTIVE
    elif c.SUD_IN_REMISSION in local_conditions:
        sud = SubstanceUseDisorder.IN_REMISSION
    else:
        sud = SubstanceUseDisorder.NONE

    obs = _sorted_latest_first(parsed.observations)
    phq9 = _latest(obs, c.LOINC, c.PHQ9_TOTAL)
    item9 = _int_value(_latest(obs, c.LOINC, c.PHQ9_ITEM9))
    if item9 is None and phq9 is not None:
        item9 = _comp_int(_component_value(phq9, c.LOINC, c.PHQ9_ITEM9))
    cssrs_obs = _latest(obs, c.LOCAL, c.CSSRS_RISK)
    cssrs = (
        _enum(CssrsRisk, _local_code(cssrs_obs.valueCodeableConcept), "C-SSRS risk")
        if cssrs_obs is not None
        else None
    )
    bp = _latest(obs, c.LOINC, c.BP_PANEL)
    sbp = _comp_int(_component_value(bp, c.LOINC, c.BP_SYSTOLIC)) if bp else None
    dbp = _comp_int(_component_value(bp, c.LOINC, c.BP_DIASTOLIC)) if bp else None
    if sbp is None or dbp is None:
        sbp = dbp = None

    answered_obs = _latest(obs, c.LOCAL, c.EVALUATION_ANSWERED)
    answered = {
        _local_code(comp.code)
        for comp in (answered_obs.component or [] if answered_obs else [])
        if comp.valueBoolean is True
    }
    unconfirmed = frozenset(UNCONFIRMABLE_FACTS - answered)
    if cssrs is not None:
        unconfirmed -= {"cssrs_risk"}

    cautions = frozenset(
        _enum(Caution, _local_code(o.valueCodeableConcept), "eligibility caution")
        for o in obs
        if _has(o.code, c.LOCAL, c.ELIGIBILITY_CAUTION)
    )
    band_obs = _latest(obs, c.LOCAL, c.MAUDSLEY_BAND)
    band = (
        _enum(MaudsleyBand, _local_code(band_obs.valueCodeableConcept), "Maudsley band")
        if band_obs
        else None
    )
    failed_drugs = {
        " ".join((m.medicationCodeableConcept.text or "").casefold().split())
        for m in parsed.medications
        if m.medicationCodeableConcept is not None
        and any(
            _local_code(reason)
            in (f"{c.TRIAL_FAILED_PREFIX}no_response", f"{c.TRIAL_FAILED_PREFIX}partial_response")
            for reason in m.statusReason or []
        )
    }
    history = tuple(
        _prior(o) for o in parsed.observations if _has(o.code, c.LOCAL, c.PRIOR_TREATMENT)
    )
    return RecommendationInput(
        as_of=as_of,
        age_years=_age(birth, as_of),
        eligibility=EligibilityFacts(
            contraindications=contraindications,
            cautions=cautions,
            adequate_failed_antidepressants=len(failed_drugs),
            maudsley_band=band,
        ),
        history=history,
        scores=CurrentScores(
            phq9_total=_int_value(phq9),
            phq9_item9=item9,
            madrs_total=_int_value(_latest(obs, c.LOCAL, c.MADRS_TOTAL)),
            qids_sr16_total=_int_value(_latest(obs, c.LOCAL, c.QIDS_SR16_TOTAL)),
            cssrs_risk=cssrs,
        ),
        current_psychosis=c.CURRENT_PSYCHOSIS in local_conditions or psychotic_icd,
        pregnant=c.PREGNANCY in local_conditions,
        uncontrolled_hypertension=c.UNCONTROLLED_HYPERTENSION in local_conditions,
        substance_use_disorder=sud,
        latest_systolic_mmhg=sbp,
        latest_diastolic_mmhg=dbp,
        preferences=_preferences(_latest(obs, c.LOCAL, c.PREFERENCES)),
        clinic=clinic,
        unconfirmed_facts=unconfirmed,
    )


def _prior(obs: Observation) -> PriorTreatment:
    def comp(code: str) -> Any:
        return _component_value(obs, c.LOCAL, code)

    option, response = comp("option"), comp("response")
    sessions, durability, adequate = comp("sessions"), comp("durability-days"), comp("adequate")
    return PriorTreatment(
        option=_enum(
            TreatmentOption,
            _local_code(option.valueCodeableConcept) if option else None,
            "treatment option",
        ),
        sessions=_comp_int(sessions) or 0,
        response=_enum(
            PriorResponse,
            _local_code(response.valueCodeableConcept) if response else None,
            "response",
        ),
        durability_days=_comp_int(durability),
        adequate=adequate.valueBoolean if adequate is not None else None,
    )


def _preferences(obs: Observation | None) -> Preferences:
    # No recorded preferences: no preferred or declined option, a neutral travel burden, and
    # self-pay acceptable (cost has no effect unless the clinic lists self-pay options).
    if obs is None:
        return Preferences((), frozenset(), TravelBurden.MODERATE, CostClass.SELF_PAY_ACCEPTABLE)
    preferred, declined = [], set()
    travel, cost = TravelBurden.MODERATE, CostClass.SELF_PAY_ACCEPTABLE
    for comp in obs.component or []:
        kind, value = _local_code(comp.code), _local_code(comp.valueCodeableConcept)
        if kind == "preferred-option":
            preferred.append(_enum(TreatmentOption, value, "treatment option"))
        elif kind == "declined-option":
            declined.add(_enum(TreatmentOption, value, "treatment option"))
        elif kind == "travel-burden":
            travel = _enum(TravelBurden, value, "travel burden")
        elif kind == "cost-class":
            cost = _enum(CostClass, value, "cost class")
    return Preferences(tuple(preferred), frozenset(declined), travel, cost)
