"""An EHR's FHIR R4 prefetch to the recommendation engine's input.

Reads the CDS Hooks prefetch keys ``patient`` (Patient), ``conditions`` (Bundle of Condition),
``observations`` (Bundle of Observation) and ``medications`` (Bundle of MedicationStatement).
Every resource is parsed with the fhir.resources R4B model first (docs/adr/0003).

Mapping (standard codes through the value sets of ``ketacare.clinical.terminology``; KetaCare's
own local codes in ``interop.fhir.codes`` still work):
- age from Patient.birthDate at ``as_of``;
- Conditions (ICD-10-CM, SNOMED CT): aneurysm/AVM and intracerebral haemorrhage are label
  contraindications whatever the clinical status (a history counts; refuted or
  entered-in-error are ignored); psychotic disorder or depression with psychotic features is
  current psychosis when active, a psychosis history otherwise; pregnancy and hypertensive
  crisis when active; substance use disorder active or in remission; hypertensive
  encephalopathy as a history caution; bipolar disorder, hepatic failure, stroke and
  myocardial infarction have no rule in the recommendation engine and are *reported* for
  review (``PrefetchReading.review``);
- AllergyIntolerance (optional prefetch ``allergies``) to ketamine or esketamine (RxNorm):
  the hypersensitivity contraindication;
- latest Observation per code: PHQ-9 total 44261-6 and item 9 44260-8 (also read from a
  PHQ-9 total's components), MADRS/QIDS-SR16/C-SSRS (local), BP panel 85354-9
  (8480-6/8462-4), evaluation-answered, eligibility cautions, Maudsley band, prior-treatment
  outcomes and preferences (local);
- MedicationStatements whose statusReason is a local ``adequate-trial-no_response`` or
  ``adequate-trial-partial_response`` count as adequate failed antidepressants (distinct drugs);
  so does a *completed or stopped* RxNorm-coded antidepressant with an effectivePeriod (start
  and end), by ingredient, unless its local statusReason says response or intolerance. The EHR
  does not record adequacy or outcome, so each such trial is listed for confirmation
  (``PrefetchReading.ehr_trials``). Augmenting agents are recognised, never counted.
- Every coding no value set (and no local code) knows is listed in
  ``PrefetchReading.unrecognised``: reported on a card, never read as "absent".

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

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
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
from ketacare.clinical.terminology import Concept, Entry, classify
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
    allergies: tuple[AllergyIntolerance, ...] = ()
    allergies_sent: bool = False


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
            allergies=(
                _entries(prefetch["allergies"], "allergies", AllergyIntolerance)
                if _present(prefetch.get("allergies"))
                else ()
            ),
            allergies_sent=_present(prefetch.get("allergies")),
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


@dataclass(frozen=True)
class ReviewItem:
    """A recognised fact the recommendation engine has no rule for: shown for review."""

    concept: Concept
    code: str  # stable finding code, e.g. ``recorded_bipolar_disorder``
    message: str
    coding: str  # "system|code display"


@dataclass(frozen=True)
class EhrTrial:
    """An antidepressant trial read from an EHR MedicationStatement (adequacy not recorded)."""

    ingredient: str
    weeks: int
    augmentation: bool


@dataclass(frozen=True)
class PrefetchReading:
    """What the prefetch says: the engine's input plus what the engine cannot weigh."""

    input: RecommendationInput
    review: tuple[ReviewItem, ...]
    ehr_trials: tuple[EhrTrial, ...]
    unrecognised: tuple[str, ...]  # "ResourceType: system|code (display)"


_KNOWN_LOCAL_CONDITIONS = frozenset(
    {
        c.CURRENT_PSYCHOSIS,
        c.PREGNANCY,
        c.UNCONTROLLED_HYPERTENSION,
        c.SUD_ACTIVE,
        c.SUD_IN_REMISSION,
    }
    | {f"{c.CONTRAINDICATION_PREFIX}{ci.value}" for ci in Contraindication}
)
_KNOWN_LOCAL_OBSERVATIONS = frozenset(
    {
        c.MADRS_TOTAL,
        c.QIDS_SR16_TOTAL,
        c.CSSRS_RISK,
        c.EVALUATION_ANSWERED,
        c.ELIGIBILITY_CAUTION,
        c.MAUDSLEY_BAND,
        c.PRIOR_TREATMENT,
        c.PREFERENCES,
        *c.SESSION_SCALE_CODES.values(),
    }
)
# Vital signs KetaCare's own FHIR server sends that the recommendation does not use.
_KNOWN_UNUSED_LOINC = frozenset({c.HEART_RATE, c.RESPIRATORY_RATE, c.SPO2, c.SPO2_ARTERIAL})
_IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
_TRIAL_DONE = frozenset({"completed", "stopped"})
_REVIEW_TEXT = {
    Concept.BIPOLAR_DISORDER: (
        "recorded_bipolar_disorder",
        "Bipolar disorder is recorded: ketamine trials for depression exclude current mania and "
        "most enrolled unipolar depression; KetaCare has no rule for it here. Review before "
        "any ketamine option.",
    ),
    Concept.HEPATIC_IMPAIRMENT_SEVERE: (
        "recorded_hepatic_impairment_severe",
        "Hepatic failure is recorded: esketamine is not recommended in severe hepatic "
        "impairment (label). Confirm the severity before any ketamine option.",
    ),
    Concept.STROKE: (
        "recorded_stroke",
        "A stroke is recorded: ketamine and esketamine raise blood pressure; do not give them "
        "where a rise in blood pressure or intracranial pressure poses a serious risk (label). "
        "Review with the onset date.",
    ),
    Concept.MYOCARDIAL_INFARCTION: (
        "recorded_myocardial_infarction",
        "A myocardial infarction is recorded: ketamine and esketamine raise blood pressure; "
        "weigh the cardiovascular risk (label). Review with the onset date.",
    ),
}


def _codings(concept: Any) -> list[tuple[str, str, str]]:
    if concept is None:
        return []
    return [(cd.system or "", cd.code or "", cd.display or "") for cd in concept.coding or []]


def _label(kind: str, codings: list[tuple[str, str, str]], text: str | None) -> str:
    if not codings:
        return f"{kind}: no coding ({text or 'no text'})"
    return f"{kind}: " + ", ".join(
        f"{system or '(no system)'}|{code}" + (f" ({display})" if display else "")
        for system, code, display in codings
    )


def _entries_of(concept: Any) -> tuple[Entry, ...]:
    return classify((s, cd) for s, cd, _ in _codings(concept))


def _status(cond: Condition) -> str:
    for system, code in _codes(cond.clinicalStatus):
        if system == c.CONDITION_CLINICAL:
            return code
    return "active"  # no clinical status: treat as current (never as absent)


def _verification(resource: Any) -> str | None:
    for _system, code in _codes(resource.verificationStatus):
        return code
    return None


def _trial(m: MedicationStatement, entries: tuple[Entry, ...]) -> EhrTrial | None:
    drug = next(
        (e for e in entries if e.concept in (Concept.ANTIDEPRESSANT, Concept.AUGMENTING_AGENT)),
        None,
    )
    period = m.effectivePeriod
    if (
        drug is None
        or m.status not in _TRIAL_DONE
        or period is None
        or period.start is None
        or period.end is None
    ):
        return None
    start, end = period.start, period.end
    start_d = start.date() if isinstance(start, datetime) else start
    end_d = end.date() if isinstance(end, datetime) else end
    if end_d < start_d:
        raise InvalidClinicalInput(
            "fhir_period_invalid", "A MedicationStatement's effectivePeriod ends before it starts."
        )
    return EhrTrial(
        ingredient=str(drug.qualifier("ingredient", drug.display)),
        weeks=(end_d - start_d).days // 7,
        augmentation=drug.concept is Concept.AUGMENTING_AGENT,
    )


def read_prefetch(
    parsed: ParsedPrefetch, *, as_of: datetime, clinic: ClinicCapabilities
) -> PrefetchReading:
    """Map parsed prefetch to the engine's input and the facts it cannot weigh."""
    birth = parsed.patient.birthDate
    if birth is None:
        raise InvalidClinicalInput("fhir_birth_date_missing", "The Patient has no birthDate.")
    unrecognised: list[str] = []
    review: dict[str, ReviewItem] = {}
    contraindications: set[Contraindication] = set()
    cautions: set[Caution] = set()
    psychosis_now = False
    pregnant = uncontrolled_htn = False
    sud = SubstanceUseDisorder.NONE

    local_conditions: set[str] = set()
    for cond in parsed.conditions:
        if _verification(cond) in _IGNORED_VERIFICATION:
            continue
        status = _status(cond)
        active = status in ("active", "recurrence", "relapse")
        codings = _codings(cond.code)
        local = _local_code(cond.code)
        entries = _entries_of(cond.code)
        if local in _KNOWN_LOCAL_CONDITIONS:
            if active:
                local_conditions.add(local)
            continue
        if not entries:
            unrecognised.append(_label("Condition", codings, cond.code.text if cond.code else None))
            continue
        for e in entries:
            k = e.concept
            if k in (Concept.ANEURYSMAL_VASCULAR_DISEASE, Concept.ARTERIOVENOUS_MALFORMATION):
                contraindications.add(Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM)
            elif k is Concept.INTRACEREBRAL_HEMORRHAGE:
                contraindications.add(Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY)
            elif k is Concept.PSYCHOTIC_DISORDER:
                if active:
                    psychosis_now = True
                else:
                    cautions.add(Caution.PSYCHOSIS_HISTORY)
            elif k is Concept.SUBSTANCE_USE_DISORDER_ACTIVE:
                if active:
                    sud = SubstanceUseDisorder.ACTIVE
                elif sud is SubstanceUseDisorder.NONE:
                    sud = SubstanceUseDisorder.IN_REMISSION
            elif k is Concept.SUBSTANCE_USE_DISORDER_IN_REMISSION:
                if sud is SubstanceUseDisorder.NONE:
                    sud = SubstanceUseDisorder.IN_REMISSION
            elif k is Concept.PREGNANCY:
                pregnant = pregnant or active
            elif k is Concept.UNCONTROLLED_HYPERTENSION:
                uncontrolled_htn = uncontrolled_htn or active
            elif k is Concept.HYPERTENSIVE_ENCEPHALOPATHY:
                cautions.add(Caution.HYPERTENSIVE_ENCEPHALOPATHY_HISTORY)
            elif k in _REVIEW_TEXT:
                code, message = _REVIEW_TEXT[k]
                onset = cond.onsetDateTime.date().isoformat() if cond.onsetDateTime else None
                detail = f" ({status}" + (f", onset {onset})" if onset else ")")
                review.setdefault(
                    code,
                    ReviewItem(k, code, message + detail, _label("Condition", codings, None)),
                )
            # DEPRESSION: recognised (severity and features are in the entry's qualifiers;
            # psychotic features are also in the psychotic-disorder value set).

    for allergy in parsed.allergies:
        if _verification(allergy) in _IGNORED_VERIFICATION:
            continue
        entries = _entries_of(allergy.code)
        if any(e.concept is Concept.KETAMINE for e in entries):
            contraindications.add(Contraindication.HYPERSENSITIVITY_TO_KETAMINE)
        elif not entries:
            unrecognised.append(
                _label(
                    "AllergyIntolerance",
                    _codings(allergy.code),
                    allergy.code.text if allergy.code else None,
                )
            )

    prefix = c.CONTRAINDICATION_PREFIX
    contraindications |= {
        ci for ci in Contraindication if f"{prefix}{ci.value}" in local_conditions
    }
    if c.SUD_ACTIVE in local_conditions:
        sud = SubstanceUseDisorder.ACTIVE
    elif c.SUD_IN_REMISSION in local_conditions and sud is SubstanceUseDisorder.NONE:
        sud = SubstanceUseDisorder.IN_REMISSION

    obs = _sorted_latest_first(parsed.observations)
    for o in obs:
        codings = _codings(o.code)
        if _local_code(o.code) in _KNOWN_LOCAL_OBSERVATIONS or _entries_of(o.code):
            continue
        if any(s == c.LOINC and code in _KNOWN_UNUSED_LOINC for s, code, _ in codings):
            continue
        unrecognised.append(_label("Observation", codings, o.code.text if o.code else None))
    phq9 = _latest(obs, c.LOINC, c.PHQ9_TOTAL)
    item9 = _int_value(_latest(obs, c.LOINC, c.PHQ9_ITEM9))
    if item9 is None and phq9 is not None:
        item9 = _comp_int(_component_value(phq9, c.LOINC, c.PHQ9_ITEM9))
    phq9_total = _int_value(phq9)
    if phq9_total is None:
        phq9_total = _phq9_total_from_panel(obs)
        if item9 is None:
            panel = _latest(obs, c.LOINC, c.PHQ9_PANEL)
            if panel is not None:
                item9 = _comp_int(_component_value(panel, c.LOINC, c.PHQ9_ITEM9))
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

    cautions |= {
        _enum(Caution, _local_code(o.valueCodeableConcept), "eligibility caution")
        for o in obs
        if _has(o.code, c.LOCAL, c.ELIGIBILITY_CAUTION)
    }
    band_obs = _latest(obs, c.LOCAL, c.MAUDSLEY_BAND)
    band = (
        _enum(MaudsleyBand, _local_code(band_obs.valueCodeableConcept), "Maudsley band")
        if band_obs
        else None
    )

    failed_drugs: set[str] = set()
    ehr_trials: list[EhrTrial] = []
    for m in parsed.medications:
        concept = m.medicationCodeableConcept
        codings = _codings(concept)
        entries = _entries_of(concept)
        reasons = {_local_code(r) for r in m.statusReason or []} - {None}
        failed = bool(
            reasons
            & {f"{c.TRIAL_FAILED_PREFIX}no_response", f"{c.TRIAL_FAILED_PREFIX}partial_response"}
        )
        not_failed = bool(
            reasons & {f"{c.TRIAL_FAILED_PREFIX}response", f"{c.TRIAL_FAILED_PREFIX}intolerance"}
        )
        trial = _trial(m, entries)
        name = (
            trial.ingredient
            if trial is not None
            else " ".join(((concept.text if concept else None) or "").casefold().split())
        )
        if failed and concept is not None:
            failed_drugs.add(name)
        elif trial is not None and not not_failed:
            ehr_trials.append(trial)
            if not trial.augmentation:
                failed_drugs.add(trial.ingredient)
        if not entries and not reasons:
            text = concept.text if concept else None
            unrecognised.append(_label("MedicationStatement", codings, text))

    history = tuple(
        _prior(o) for o in parsed.observations if _has(o.code, c.LOCAL, c.PRIOR_TREATMENT)
    )
    inp = RecommendationInput(
        as_of=as_of,
        age_years=_age(birth, as_of),
        eligibility=EligibilityFacts(
            contraindications=frozenset(contraindications),
            cautions=frozenset(cautions),
            adequate_failed_antidepressants=len(failed_drugs),
            maudsley_band=band,
        ),
        history=history,
        scores=CurrentScores(
            phq9_total=phq9_total,
            phq9_item9=item9,
            madrs_total=_int_value(_latest(obs, c.LOCAL, c.MADRS_TOTAL)),
            qids_sr16_total=_int_value(_latest(obs, c.LOCAL, c.QIDS_SR16_TOTAL)),
            cssrs_risk=cssrs,
        ),
        current_psychosis=c.CURRENT_PSYCHOSIS in local_conditions or psychosis_now,
        pregnant=c.PREGNANCY in local_conditions or pregnant,
        uncontrolled_hypertension=c.UNCONTROLLED_HYPERTENSION in local_conditions
        or uncontrolled_htn,
        substance_use_disorder=sud,
        latest_systolic_mmhg=sbp,
        latest_diastolic_mmhg=dbp,
        preferences=_preferences(_latest(obs, c.LOCAL, c.PREFERENCES)),
        clinic=clinic,
        unconfirmed_facts=unconfirmed,
    )
    return PrefetchReading(
        input=inp,
        review=tuple(review.values()),
        ehr_trials=tuple(ehr_trials),
        unrecognised=tuple(dict.fromkeys(unrecognised)),
    )


def _phq9_total_from_panel(obs: list[Observation]) -> int | None:
    """PHQ-9 total = sum of the nine items (Kroenke 2001) when a panel carries all nine items
    as components and no total was sent."""
    panel = _latest(obs, c.LOINC, c.PHQ9_PANEL)
    if panel is None:
        return None
    items = [_comp_int(_component_value(panel, c.LOINC, code)) for code in c.PHQ9_ITEMS]
    if any(v is None for v in items):
        return None
    return sum(v for v in items if v is not None)


def recommendation_input_from_prefetch(
    parsed: ParsedPrefetch, *, as_of: datetime, clinic: ClinicCapabilities
) -> RecommendationInput:
    """The engine's input only (see ``read_prefetch`` for what it cannot weigh)."""
    return read_prefetch(parsed, as_of=as_of, clinic=clinic).input


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
