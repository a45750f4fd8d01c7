"""KetaCare records to the recommendation engine's input.

Wired now: age (patients.Patient.date_of_birth), adequate failed antidepressants
(patients.MedicationTrial through the eligibility core's counting rule), interacting medicines
(patients.Medication classes -> eligibility cautions), REMS certification (accounts.Clinic).

Not yet wired (the evaluation, measures and treatment apps are being built): contraindications,
psychosis, pregnancy, hypertension, substance use, scores, C-SSRS, prior ketamine/ECT/rTMS
courses and preferences. Until ``evaluation_facts`` reads them, every one of those facts is
reported to the engine as *unconfirmed*, so the engine lowers every ketamine option and says
what to confirm; it never treats an unanswered question as "no".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ketacare.clinical.eligibility.screening import SubstanceUseDisorder
from ketacare.clinical.eligibility.trd import (
    Adherence,
    AntidepressantTrial,
    TrialOutcome,
    count_adequate_failed_trials,
)
from ketacare.clinical.eligibility.verdict import Caution
from ketacare.clinical.recommendations import (
    ClinicCapabilities,
    Contraindication,
    CostClass,
    CurrentScores,
    EligibilityFacts,
    Preferences,
    PriorTreatment,
    RecommendationInput,
    TravelBurden,
)
from ketacare.clinical.recommendations.inputs import UNCONFIRMABLE_FACTS
from ketacare.patients.models import Medication, MedicationClass, MedicationTrial, Patient

_CAUTION_OF_CLASS = {
    MedicationClass.BENZODIAZEPINE: Caution.CNS_DEPRESSANT_USE,
    MedicationClass.SEDATIVE_HYPNOTIC: Caution.CNS_DEPRESSANT_USE,
    MedicationClass.OPIOID: Caution.CNS_DEPRESSANT_USE,
    MedicationClass.PSYCHOSTIMULANT: Caution.PSYCHOSTIMULANT_USE,
    MedicationClass.MAOI: Caution.MAOI_USE,
}


@dataclass(frozen=True)
class EvaluationFacts:
    """What the evaluation/measures/treatment apps will supply; ``unconfirmed`` names what
    they could not."""

    contraindications: frozenset[Contraindication] = frozenset()
    cautions: frozenset[Caution] = frozenset()
    current_psychosis: bool = False
    pregnant: bool = False
    uncontrolled_hypertension: bool = False
    substance_use_disorder: SubstanceUseDisorder = SubstanceUseDisorder.NONE
    scores: CurrentScores = field(
        default_factory=lambda: CurrentScores(None, None, None, None, None)
    )
    blood_pressure: tuple[int, int] | None = None
    history: tuple[PriorTreatment, ...] = ()
    preferences: Preferences = field(
        default_factory=lambda: Preferences(
            (), frozenset(), TravelBurden.MODERATE, CostClass.SELF_PAY_ACCEPTABLE
        )
    )
    unconfirmed: frozenset[str] = UNCONFIRMABLE_FACTS


def evaluation_facts(patient: Patient, as_of: datetime) -> EvaluationFacts:
    """Facts from the evaluation, measures and treatment apps. Not available yet: everything
    is reported unconfirmed (see module docstring)."""
    return EvaluationFacts()


def to_trials(patient: Patient) -> tuple[AntidepressantTrial, ...]:
    rows = MedicationTrial.objects.filter(patient=patient, superseded_by__isnull=True)
    return tuple(
        AntidepressantTrial(
            drug=r.drug,
            dose_mg_per_day=r.dose_mg_per_day,
            weeks=r.weeks,
            adherence=Adherence(r.adherence),
            adequate=r.adequate,
            outcome=TrialOutcome(r.outcome),
            augmentation=r.augmentation,
            in_current_episode=r.in_current_episode,
        )
        for r in rows
    )


def medication_cautions(patient: Patient) -> frozenset[Caution]:
    current = Medication.objects.filter(
        patient=patient, superseded_by__isnull=True, stopped_on__isnull=True
    )
    return frozenset(
        _CAUTION_OF_CLASS[m.drug_class] for m in current if m.drug_class in _CAUTION_OF_CLASS
    )


def clinic_capabilities(patient: Patient) -> ClinicCapabilities:
    # Only REMS certification is recorded on the clinic today; a ketamine clinic is assumed to
    # give IV and IM ketamine and to refer for ECT and rTMS until protocols record otherwise.
    return ClinicCapabilities(
        offers_iv_ketamine=True,
        offers_im_ketamine=True,
        esketamine_rems_certified=bool(patient.clinic.rems_certified),
        ect_referral=True,
        rtms_referral=True,
    )


def _age(patient: Patient, as_of: datetime) -> int:
    today, born = as_of.date(), patient.date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def recommendation_input_for_patient(patient: Patient, *, as_of: datetime) -> RecommendationInput:
    facts = evaluation_facts(patient, as_of)
    bp = facts.blood_pressure
    return RecommendationInput(
        as_of=as_of,
        age_years=_age(patient, as_of),
        eligibility=EligibilityFacts(
            contraindications=facts.contraindications,
            cautions=facts.cautions | medication_cautions(patient),
            adequate_failed_antidepressants=count_adequate_failed_trials(to_trials(patient)),
            maudsley_band=None,
        ),
        history=facts.history,
        scores=facts.scores,
        current_psychosis=facts.current_psychosis,
        pregnant=facts.pregnant,
        uncontrolled_hypertension=facts.uncontrolled_hypertension,
        substance_use_disorder=facts.substance_use_disorder,
        latest_systolic_mmhg=bp[0] if bp else None,
        latest_diastolic_mmhg=bp[1] if bp else None,
        preferences=facts.preferences,
        clinic=clinic_capabilities(patient),
        unconfirmed_facts=facts.unconfirmed,
    )
