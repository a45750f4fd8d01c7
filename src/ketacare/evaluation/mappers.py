"""From rows and the request's screening answers to the core's ``EvaluationInput``, and from
the core's findings back to JSON for storage.

What comes from where:
- age: the patient's date of birth, in whole years on the evaluation date;
- antidepressant trials: the patient's current (not superseded) ``MedicationTrial`` rows;
- episode duration: whole months from ``Patient.current_episode_onset`` to the evaluation
  date; only when no onset is recorded may the request give the duration;
- interacting medicines: the clinician's answers, OR-ed with the medicines on record that are
  active on the evaluation date (benzodiazepines, sedative hypnotics and opioids are CNS
  depressants; psychostimulants; MAOIs), so a recorded medicine always raises its caution;
- everything else (contraindications, cautions, BP, C-SSRS, substance-use screen): the
  request's answers, with no defaults (an unanswered question is not "no").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from ketacare.clinical.eligibility import (
    Adherence,
    AntidepressantTrial,
    CssrsRisk,
    CssrsScreen,
    EligibilityPolicy,
    EvaluationInput,
    HepaticImpairment,
    MaudsleySeverity,
    Route,
    SubstanceUseDisorder,
    SubstanceUseScreen,
    TrialOutcome,
)
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.gates import Finding
from ketacare.patients.models import Medication, MedicationClass, MedicationTrial, Patient

CNS_DEPRESSANT_CLASSES = frozenset(
    {MedicationClass.BENZODIAZEPINE, MedicationClass.SEDATIVE_HYPNOTIC, MedicationClass.OPIOID}
)


@dataclass(frozen=True, slots=True)
class ScreeningAnswers:
    """The clinician's answers at evaluation (the request body, minus what rows provide)."""

    route: Route | None
    severity: MaudsleySeverity
    ect_used: bool
    aneurysmal_vascular_disease_or_avm: bool
    intracerebral_hemorrhage_history: bool
    hypersensitivity_to_ketamine_or_esketamine: bool
    psychosis_history: bool
    current_psychosis: bool
    substance_use_disorder: SubstanceUseDisorder
    pregnant: bool
    breastfeeding: bool
    hepatic_impairment: HepaticImpairment
    uncontrolled_hypertension: bool
    hypertensive_encephalopathy_history: bool
    takes_cns_depressants: bool
    takes_psychostimulants: bool
    takes_maois: bool
    cssrs: CssrsScreen | None
    substance_screen: SubstanceUseScreen | None
    latest_systolic_mmhg: int | None = None
    latest_diastolic_mmhg: int | None = None
    episode_duration_months: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningAnswers:
        """From the API body (plain values, nested ``cssrs`` and ``substance_screen``)."""
        values = dict(data)
        route = values.get("route")
        values["route"] = Route(route) if route else None
        values["severity"] = MaudsleySeverity(values["severity"])
        values["substance_use_disorder"] = SubstanceUseDisorder(values["substance_use_disorder"])
        values["hepatic_impairment"] = HepaticImpairment(values["hepatic_impairment"])
        cssrs = values.get("cssrs")
        values["cssrs"] = (
            CssrsScreen(risk=CssrsRisk(cssrs["risk"]), assessed_at=cssrs["assessed_at"])
            if cssrs
            else None
        )
        screen = values.get("substance_screen")
        values["substance_screen"] = SubstanceUseScreen(**screen) if screen else None
        return cls(**values)


def eligibility_policy_for(clinic_id: int) -> EligibilityPolicy:
    """The clinic's eligibility policy. Per-clinic storage would belong to the protocols app;
    until a clinic can change it, every clinic uses the core's cited defaults. Recording and
    the page's live preview both ask here, so they always agree."""
    return EligibilityPolicy()


def trial_to_core(row: MedicationTrial) -> AntidepressantTrial:
    return AntidepressantTrial(
        drug=row.drug,
        dose_mg_per_day=row.dose_mg_per_day,
        weeks=row.weeks,
        adherence=Adherence(row.adherence),
        adequate=row.adequate,
        outcome=TrialOutcome(row.outcome),
        augmentation=row.augmentation,
        in_current_episode=row.in_current_episode,
    )


def age_in_years(date_of_birth: date, on: date) -> int:
    return (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )


def whole_months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month) - (end.day < start.day)


def _episode_months(patient: Patient, answers: ScreeningAnswers, on: date) -> tuple[int, str]:
    onset = patient.current_episode_onset
    if onset is None:
        if answers.episode_duration_months is None:
            raise InvalidClinicalInput(
                "episode_duration_unknown",
                "Record the current episode's onset date on the patient record (or give the "
                "episode duration in months) before evaluating.",
            )
        return answers.episode_duration_months, "answer"
    if onset > on:
        raise InvalidClinicalInput(
            "episode_onset_after_evaluation",
            "The current episode's recorded onset is after the evaluation date.",
        )
    months = whole_months_between(onset, on)
    if answers.episode_duration_months is not None and answers.episode_duration_months != months:
        raise InvalidClinicalInput(
            "episode_duration_conflicts_with_onset",
            f"The episode duration given ({answers.episode_duration_months} months) differs "
            f"from the recorded onset ({months} months); correct the onset date instead.",
        )
    return months, "current_episode_onset"


def _active_classes(medications: Iterable[Medication], on: date) -> set[str]:
    return {
        m.drug_class
        for m in medications
        if (m.started_on is None or m.started_on <= on)
        and (m.stopped_on is None or m.stopped_on >= on)
    }


def build_evaluation_input(
    *,
    patient: Patient,
    trials: Iterable[MedicationTrial],
    medications: Iterable[Medication],
    answers: ScreeningAnswers,
    as_of: datetime,
) -> tuple[EvaluationInput, dict[str, Any]]:
    """The core input, and a JSON record of it (with where each derived value came from)."""
    on = as_of.date()
    trial_rows = list(trials)
    months, months_from = _episode_months(patient, answers, on)
    classes = _active_classes(medications, on)
    on_record = {
        "cns_depressants": bool(classes & CNS_DEPRESSANT_CLASSES),
        "psychostimulants": MedicationClass.PSYCHOSTIMULANT in classes,
        "maois": MedicationClass.MAOI in classes,
    }
    inp = EvaluationInput(
        as_of=as_of,
        age_years=age_in_years(patient.date_of_birth, on),
        route=answers.route,
        trials=tuple(trial_to_core(t) for t in trial_rows),
        episode_duration_months=months,
        severity=answers.severity,
        ect_used=answers.ect_used,
        aneurysmal_vascular_disease_or_avm=answers.aneurysmal_vascular_disease_or_avm,
        intracerebral_hemorrhage_history=answers.intracerebral_hemorrhage_history,
        hypersensitivity_to_ketamine_or_esketamine=answers.hypersensitivity_to_ketamine_or_esketamine,
        psychosis_history=answers.psychosis_history,
        current_psychosis=answers.current_psychosis,
        substance_use_disorder=answers.substance_use_disorder,
        pregnant=answers.pregnant,
        breastfeeding=answers.breastfeeding,
        hepatic_impairment=answers.hepatic_impairment,
        uncontrolled_hypertension=answers.uncontrolled_hypertension,
        latest_systolic_mmhg=answers.latest_systolic_mmhg,
        latest_diastolic_mmhg=answers.latest_diastolic_mmhg,
        hypertensive_encephalopathy_history=answers.hypertensive_encephalopathy_history,
        takes_cns_depressants=answers.takes_cns_depressants or on_record["cns_depressants"],
        takes_psychostimulants=answers.takes_psychostimulants or on_record["psychostimulants"],
        takes_maois=answers.takes_maois or on_record["maois"],
        cssrs=answers.cssrs,
        substance_screen=answers.substance_screen,
    )
    record = {
        "answers": _jsonable(asdict(answers)),
        "age_years": inp.age_years,
        "episode_duration_months": months,
        "episode_duration_from": months_from,
        "interacting_medicines_on_record": on_record,
        "trials": [
            {"medication_trial_id": row.pk, **_jsonable(asdict(trial_to_core(row)))}
            for row in trial_rows
        ],
    }
    return inp, record


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bool, int, type(None))):
        return value
    if isinstance(value, str):  # StrEnum values included
        return str(value)
    return str(value)  # Decimal


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """``{code, message, source, severity, acknowledgment_required, data}`` for storage and
    the API (``source`` keeps ``verified`` so readers can tell unverified sources apart)."""
    data = dict(finding.data)
    source = None
    if finding.source is not None:
        source = {**finding.source.as_dict(), "verified": finding.source.verified}
    return {
        "code": finding.code,
        "message": finding.message,
        "source": source,
        "severity": data.pop("severity", None),
        "acknowledgment_required": bool(data.pop("acknowledgment_required", False)),
        "data": _jsonable(data),
    }
