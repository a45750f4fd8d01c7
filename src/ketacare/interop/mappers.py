"""KetaCare records to the recommendation engine's input (``RecommendationInput``).

What comes from where (reads only; the caller has already accessed the patient):

- age: ``Patient.date_of_birth`` on the ``as_of`` date;
- adequate failed antidepressants: the current ``MedicationTrial`` rows through the
  eligibility core's counting rule (live, so a trial recorded after the evaluation counts);
- contraindications, current psychosis, pregnancy, uncontrolled hypertension, substance use
  disorder: the clinician's screening answers stored with the latest evaluation
  (``evaluation.selectors.latest_evaluation``); rule-13 cautions: the caution codes of that
  evaluation's verdict, plus interacting medicines currently on record; Maudsley band: the
  evaluation's stage. Without an evaluation these facts are reported *unconfirmed* (the engine
  then lowers every ketamine option and says what to confirm; an unanswered question is
  never "no");
- blood pressure: the newest of the evaluation's recorded reading and the latest *pre-dose*
  vital signs of a treatment session (in-session readings after a dose reflect the drug);
- scores: the latest PHQ-9 (total and item 9), MADRS and QIDS-SR16 that were not taken after a
  dose within a session (``measures.selectors.patient_assessments``); C-SSRS: the newest of the
  latest screener (measures) and the evaluation's screen, "none" read as low. With neither,
  ``cssrs_risk`` is unconfirmed;
- history: every KetaCare course with a dose (sessions = doses given), its response from
  ``clinical.outcomes.assess_outcomes`` over that course's doses and the scores of its window
  (MADRS first, then PHQ-9, then QIDS-SR16: the first instrument with a classified status), and,
  after a response, durability from ``clinical.outcomes.recommend_maintenance``: the median of
  the observed losses of benefit after the acute series (esketamine: last dose of weeks 1-4;
  racemic: the course's last dose, as ``measures.maintenance_for`` does). The response is the
  best status the course reached (the core is asked at each score after the first dose), so a
  response later lost still counts as a response with a short durability. A course whose
  response cannot be classified (no baseline, no score after a dose) is left out. Courses given
  elsewhere come from ``PriorTreatmentReport`` rows;
- preferences: the latest ``TreatmentPreference`` row (none: no preference, moderate travel
  burden, self-pay acceptable);
- clinic: IV and IM ketamine when the clinic has an active protocol for them (a clinic that has
  never opened its protocol library gets the standard library, which has both); esketamine when
  it has an esketamine protocol *and* is REMS-certified; ECT/rTMS referral and self-pay options
  from ``RecommendationSettings``.

Reads that no app offers as a selector are small read-only queries here: the doses grouped by
course (``treatment.DoseAdministration``), the latest pre-dose vitals
(``treatment.VitalsReading``) and the clinic's active protocol routes
(``protocols.ProtocolVersion``). Every read is one query, so the cost does not grow with the
patient's history.

Deliberately not done: the age of an evaluation is not judged here (the latest one counts, as
for ordering a course); courses stopped for intolerance are not inferred from KetaCare's
adverse events (a clinician records them as a prior-treatment report).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ketacare.clinical.eligibility.maudsley import MaudsleyBand
from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.eligibility.trd import (
    Adherence,
    AntidepressantTrial,
    TrialOutcome,
    count_adequate_failed_trials,
)
from ketacare.clinical.eligibility.verdict import Caution
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import (
    DoseEvent,
    DurabilityThreshold,
    MaintenancePolicy,
    OutcomePolicy,
    OutcomeStatus,
    assess_outcomes,
    recommend_maintenance,
)
from ketacare.clinical.outcomes.maintenance import OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK
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
from ketacare.compiled_reads import CompiledRead, slot
from ketacare.evaluation.selectors import latest_evaluation
from ketacare.interop.models import (
    PriorTreatmentReport,
    RecommendationSettings,
    TreatmentPreference,
)
from ketacare.measures.mappers import CSSRS_SCALE_CODE, to_observations
from ketacare.measures.models import Assessment, AssessmentContext
from ketacare.measures.selectors import patient_assessments
from ketacare.patients.models import MedicationClass, Patient
from ketacare.patients.selectors import current_medications, current_trials
from ketacare.protocols.models import ProtocolVersion
from ketacare.protocols.selectors import get_outcome_policy
from ketacare.treatment.models import VitalsPhase, VitalsReading
from ketacare.treatment.selectors import courses_with_sessions, dose_given

_CAUTION_OF_CLASS = {
    MedicationClass.BENZODIAZEPINE: Caution.CNS_DEPRESSANT_USE,
    MedicationClass.SEDATIVE_HYPNOTIC: Caution.CNS_DEPRESSANT_USE,
    MedicationClass.OPIOID: Caution.CNS_DEPRESSANT_USE,
    MedicationClass.PSYCHOSTIMULANT: Caution.PSYCHOSTIMULANT_USE,
    MedicationClass.MAOI: Caution.MAOI_USE,
}
_CONTRAINDICATION_ANSWERS = {
    "aneurysmal_vascular_disease_or_avm": Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM,
    "intracerebral_hemorrhage_history": Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY,
    "hypersensitivity_to_ketamine_or_esketamine": Contraindication.HYPERSENSITIVITY_TO_KETAMINE,
}
_EVALUATION_FACTS = UNCONFIRMABLE_FACTS - {"cssrs_risk"}
# Verdict cautions the engine reads as facts of their own (psychosis, pregnancy, hypertension,
# active SUD) or recomputes from the blood pressure are not passed twice.
_CAUTION_CODES = frozenset(c.value for c in Caution) - {
    Caution.CURRENT_PSYCHOSIS,
    Caution.PREGNANCY,
    Caution.UNCONTROLLED_HYPERTENSION,
    Caution.SUBSTANCE_USE_DISORDER_ACTIVE,
    Caution.BLOOD_PRESSURE_ABOVE_CAUTION,
}
# The C-SSRS screener's "no ideation or behaviour" level is below the triage's lowest level.
_CSSRS_OF_LEVEL = {
    "none": CssrsRisk.LOW,
    "low": CssrsRisk.LOW,
    "moderate": CssrsRisk.MODERATE,
    "high": CssrsRisk.HIGH,
}
# Clinician-rated MADRS first (the trials' primary outcome), then the self-reports.
_OUTCOME_INSTRUMENTS = ("madrs", "phq9", "qids_sr16")
_RESPONSE_OF_STATUS = {
    OutcomeStatus.REMISSION: PriorResponse.REMISSION,
    OutcomeStatus.RESPONDING: PriorResponse.RESPONSE,
    # A relapse follows a response: the benefit was there; its durability says how long.
    OutcomeStatus.RELAPSE: PriorResponse.RESPONSE,
    OutcomeStatus.PARTIAL_RESPONSE: PriorResponse.PARTIAL_RESPONSE,
    OutcomeStatus.NON_RESPONSE: PriorResponse.NO_RESPONSE,
    OutcomeStatus.WORSENING: PriorResponse.NO_RESPONSE,
}
_BENEFIT = frozenset({PriorResponse.RESPONSE, PriorResponse.REMISSION})
_ESKETAMINE = "esketamine"
_RACEMIC = "racemic_ketamine"
_STANDARD_ROUTES = frozenset({(_RACEMIC, "iv"), (_RACEMIC, "im"), (_ESKETAMINE, "intranasal")})
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class EvaluationFacts:
    """What the evaluation, measures and treatment records say; ``unconfirmed`` names what
    they could not."""

    contraindications: frozenset[Contraindication] = frozenset()
    cautions: frozenset[Caution] = frozenset()
    current_psychosis: bool = False
    pregnant: bool = False
    uncontrolled_hypertension: bool = False
    substance_use_disorder: SubstanceUseDisorder = SubstanceUseDisorder.NONE
    maudsley_band: MaudsleyBand | None = None
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


# --- Evaluation -------------------------------------------------------------------------------


def _evaluation_part(evaluation) -> dict[str, Any]:
    if evaluation is None:
        return {"unconfirmed": set(_EVALUATION_FACTS)}
    answers = evaluation.inputs.get("answers", {})
    codes = {r["code"] for r in evaluation.reasons if r.get("code") in _CAUTION_CODES}
    return {
        "contraindications": frozenset(
            ci for key, ci in _CONTRAINDICATION_ANSWERS.items() if answers.get(key) is True
        ),
        "cautions": frozenset(Caution(c) for c in codes),
        "current_psychosis": answers.get("current_psychosis") is True,
        "pregnant": answers.get("pregnant") is True,
        "uncontrolled_hypertension": answers.get("uncontrolled_hypertension") is True,
        "substance_use_disorder": SubstanceUseDisorder(answers["substance_use_disorder"]),
        "maudsley_band": MaudsleyBand(evaluation.msm_band) if evaluation.msm_band else None,
        "unconfirmed": set(),
    }


# --- Scores -----------------------------------------------------------------------------------


def _latest_by_instrument(rows: list[Assessment]) -> dict[str, Assessment]:
    latest: dict[str, Assessment] = {}
    for row in rows:  # oldest first: later rows replace earlier ones
        if row.context != AssessmentContext.POST_DOSE:
            latest[row.instrument] = row
    return latest


def _cssrs(latest: dict[str, Assessment], evaluation) -> CssrsRisk | None:
    screened: list[tuple[datetime, CssrsRisk]] = []
    row = latest.get(CSSRS_SCALE_CODE)
    if row is not None and row.severity in _CSSRS_OF_LEVEL:
        screened.append((row.taken_at, _CSSRS_OF_LEVEL[row.severity]))
    if evaluation is not None and evaluation.cssrs_risk:
        screened.append((evaluation.cssrs_assessed_at, CssrsRisk(evaluation.cssrs_risk)))
    return max(screened, key=lambda s: s[0])[1] if screened else None


def _scores(latest: dict[str, Assessment], evaluation) -> CurrentScores:
    phq9, madrs, qids = latest.get("phq9"), latest.get("madrs"), latest.get("qids_sr16")
    return CurrentScores(
        phq9_total=phq9.total if phq9 else None,
        phq9_item9=phq9.items[8] if phq9 else None,
        madrs_total=madrs.total if madrs else None,
        qids_sr16_total=qids.total if qids else None,
        cssrs_risk=_cssrs(latest, evaluation),
    )


def _blood_pressure(patient: Patient, evaluation, as_of: datetime) -> tuple[int, int] | None:
    readings: list[tuple[datetime, tuple[int, int]]] = []
    vitals = (
        VitalsReading.objects.current()
        .filter(session__patient=patient, phase=VitalsPhase.PRE_DOSE, taken_at__lte=as_of)
        .order_by("-taken_at", "-id")
        .values_list("taken_at", "systolic_mmhg", "diastolic_mmhg")
        .first()
    )
    if vitals is not None:
        readings.append((vitals[0], (vitals[1], vitals[2])))
    if evaluation is not None:
        answers = evaluation.inputs.get("answers", {})
        sbp, dbp = answers.get("latest_systolic_mmhg"), answers.get("latest_diastolic_mmhg")
        if sbp is not None and dbp is not None:
            readings.append((evaluation.as_of, (sbp, dbp)))
    return max(readings, key=lambda r: r[0])[1] if readings else None


# --- Treatment history ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CourseDoses:
    course_id: int
    option: TreatmentOption
    doses: tuple[DoseEvent, ...]
    acute_end: datetime


def _option_of(drug: str, route: str) -> TreatmentOption | None:
    if drug == _ESKETAMINE:
        return TreatmentOption.ESKETAMINE_INTRANASAL
    return {"iv": TreatmentOption.KETAMINE_IV, "im": TreatmentOption.KETAMINE_IM}.get(route)


def _courses_with_doses(patient: Patient, as_of: datetime) -> list[_CourseDoses]:
    """Doses given in KetaCare, grouped by course, courses in the order of their first dose
    (from the courses as the chart's treatment panel reads them: shared within a page)."""
    rows = sorted(
        (dose.started_at, dose.pk, course, session.course_week)
        for course in courses_with_sessions(patient)
        for session in course.sessions.all()
        if (dose := dose_given(session)) is not None and dose.started_at <= as_of
    )
    grouped: dict[int, dict[str, Any]] = {}
    for started_at, pk, course, week in rows:
        entry = grouped.setdefault(
            course.pk, {"drug": course.drug, "route": course.route, "doses": []}
        )
        entry["doses"].append((DoseEvent(given_at=started_at, dose_id=str(pk)), week))
    courses = []
    for course_id, entry in grouped.items():
        option = _option_of(entry["drug"], entry["route"])
        if option is None:  # e.g. subcutaneous ketamine: not one of the engine's options
            continue
        doses = tuple(d for d, _ in entry["doses"])
        induction = [
            d.given_at
            for d, week in entry["doses"]
            if week <= OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK
        ]
        acute_end = (
            induction[-1]
            if option is TreatmentOption.ESKETAMINE_INTRANASAL and induction
            else doses[-1].given_at
        )
        courses.append(_CourseDoses(course_id, option, doses, acute_end))
    return courses


_RESPONSE_RANK = (
    PriorResponse.REMISSION,
    PriorResponse.RESPONSE,
    PriorResponse.PARTIAL_RESPONSE,
    PriorResponse.NO_RESPONSE,
)


def _course_response(
    course: _CourseDoses, rows: list[Assessment], window_end: datetime, policy: OutcomePolicy
) -> tuple[PriorResponse, str] | None:
    """The best status the course reached: the outcomes core is asked at each score after the
    first dose (a response later lost is still a response; durability says how long it
    lasted). The first instrument of ``_OUTCOME_INSTRUMENTS`` with a classified status wins."""
    observations = to_observations(r for r in rows if r.taken_at <= window_end)
    times = sorted({o.taken_at for o in observations if o.taken_at > course.doses[0].given_at})
    best: dict[str, PriorResponse] = {}
    for at in times:
        result = assess_outcomes(
            [o for o in observations if o.taken_at <= at],
            [d for d in course.doses if d.given_at <= at],
            policy,
            as_of=at,
        )
        for outcome in result.instruments:
            response = _RESPONSE_OF_STATUS.get(outcome.status)
            if response is None:
                continue
            known = best.get(outcome.instrument)
            if known is None or _RESPONSE_RANK.index(response) < _RESPONSE_RANK.index(known):
                best[outcome.instrument] = response
    for instrument in _OUTCOME_INSTRUMENTS:
        if instrument in best:
            return best[instrument], instrument
    return None


def _durability_days(
    course: _CourseDoses,
    rows: list[Assessment],
    instrument: str,
    window_end: datetime,
    policy: OutcomePolicy,
) -> int | None:
    observations = to_observations(r for r in rows if r.taken_at <= window_end)
    maintenance = recommend_maintenance(
        observations,
        course.doses,
        course.acute_end,
        MaintenancePolicy(
            instrument=instrument, threshold=DurabilityThreshold.RESPONSE, outcome_policy=policy
        ),
        as_of=window_end,
    )
    losses = [r.duration_days for r in maintenance.durations if not r.censored]
    return int(statistics.median(losses)) if losses else None


def ketacare_courses(
    patient: Patient, rows: list[Assessment], as_of: datetime
) -> tuple[PriorTreatment, ...]:
    """Each KetaCare course with a classified response, as a ``PriorTreatment``. A course's
    scores are those after the previous course's last dose and before the next course's first
    dose (see module docstring)."""
    courses = _courses_with_doses(patient, as_of)
    policy = get_outcome_policy(patient.clinic_id)  # the clinic's response/remission cutoffs
    history = []
    for i, course in enumerate(courses):
        start = courses[i - 1].doses[-1].given_at if i else None
        nxt = courses[i + 1].doses[0].given_at - _JUST_BEFORE if i + 1 < len(courses) else as_of
        window = [r for r in rows if start is None or r.taken_at > start]
        try:
            found = _course_response(course, window, nxt, policy)
            if found is None:
                continue
            response, instrument = found
            durability = (
                _durability_days(course, window, instrument, nxt, policy)
                if response in _BENEFIT
                else None
            )
        except InvalidClinicalInput:
            continue  # an inconsistent score history: the outcomes page shows the problem
        history.append(PriorTreatment(course.option, len(course.doses), response, durability, None))
    return tuple(history)


# The recommendation's reads of the patient's reports and the clinic's settings, compiled to
# SQL once per connection (compiled_reads.py).
_REPORTED_COURSES = CompiledRead(
    lambda: PriorTreatmentReport.objects.filter(
        patient_id=slot(PriorTreatmentReport, "patient")
    ).order_by("created_at", "id")
)
_LATEST_PREFERENCE = CompiledRead(
    lambda: TreatmentPreference.objects.filter(
        patient_id=slot(TreatmentPreference, "patient")
    ).order_by("-stated_at", "-id")[:1]
)
_RECOMMENDATION_SETTINGS = CompiledRead(
    lambda: RecommendationSettings.objects.filter(
        clinic_id=slot(RecommendationSettings, "clinic")
    ).order_by("pk")[:1]
)


def reported_courses(patient: Patient) -> tuple[PriorTreatment, ...]:
    rows = _REPORTED_COURSES.rows(patient=patient.pk)
    return tuple(prior_treatment_of(r) for r in rows)


def prior_treatment_of(row: PriorTreatmentReport) -> PriorTreatment:
    return PriorTreatment(
        option=TreatmentOption(row.option),
        sessions=row.sessions,
        response=PriorResponse(row.response),
        durability_days=row.durability_days,
        adequate=row.adequate,
    )


# --- Preferences and clinic -------------------------------------------------------------------


def preferences_of(row: TreatmentPreference | None) -> Preferences:
    if row is None:
        return Preferences((), frozenset(), TravelBurden.MODERATE, CostClass.SELF_PAY_ACCEPTABLE)
    return Preferences(
        preferred=tuple(TreatmentOption(o) for o in row.preferred),
        declined=frozenset(TreatmentOption(o) for o in row.declined),
        travel_burden=TravelBurden(row.travel_burden),
        cost_class=CostClass(row.cost_class),
    )


def latest_preference(patient: Patient) -> TreatmentPreference | None:
    return _LATEST_PREFERENCE.first(patient=patient.pk)


def clinic_capabilities(patient: Patient) -> ClinicCapabilities:
    clinic = patient.clinic
    routes = set(
        ProtocolVersion.objects.filter(clinic_id=clinic.pk, active=True).values_list(
            "drug", "route"
        )
    )
    if not routes and not ProtocolVersion.objects.filter(clinic_id=clinic.pk).exists():
        routes = set(_STANDARD_ROUTES)  # the library is added on the clinic's first use
    setting = _RECOMMENDATION_SETTINGS.first(clinic=clinic.pk)
    return ClinicCapabilities(
        offers_iv_ketamine=(_RACEMIC, "iv") in routes,
        offers_im_ketamine=(_RACEMIC, "im") in routes,
        esketamine_rems_certified=bool(clinic.rems_certified)
        and any(drug == _ESKETAMINE for drug, _ in routes),
        ect_referral=setting.ect_referral if setting else True,
        rtms_referral=setting.rtms_referral if setting else True,
        self_pay_options=frozenset(
            TreatmentOption(o) for o in (setting.self_pay_options if setting else [])
        ),
    )


# --- Putting it together ----------------------------------------------------------------------


def evaluation_facts(patient: Patient, as_of: datetime) -> EvaluationFacts:
    """Facts from the evaluation, measures, treatment and interop records (module docstring)."""
    evaluation = latest_evaluation(patient)
    part = _evaluation_part(evaluation)
    rows = patient_assessments(patient, as_of=as_of)
    latest = _latest_by_instrument(rows)
    scores = _scores(latest, evaluation)
    unconfirmed = set(part.pop("unconfirmed"))
    if scores.cssrs_risk is None:
        unconfirmed.add("cssrs_risk")
    cautions = set(part.pop("cautions", frozenset()))
    if scores.cssrs_risk is CssrsRisk.MODERATE:
        cautions.add(Caution.CSSRS_MODERATE_RISK)
    return EvaluationFacts(
        **part,
        cautions=frozenset(cautions),
        scores=scores,
        blood_pressure=_blood_pressure(patient, evaluation, as_of),
        history=reported_courses(patient) + ketacare_courses(patient, rows, as_of),
        preferences=preferences_of(latest_preference(patient)),
        unconfirmed=frozenset(unconfirmed),
    )


def to_trials(patient: Patient) -> tuple[AntidepressantTrial, ...]:
    rows = current_trials(patient)
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
    return frozenset(
        _CAUTION_OF_CLASS[m.drug_class]
        for m in current_medications(patient)
        if m.stopped_on is None and m.drug_class in _CAUTION_OF_CLASS
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
            maudsley_band=facts.maudsley_band,
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
