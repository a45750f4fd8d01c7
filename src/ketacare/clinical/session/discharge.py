"""Discharge readiness at the end of a dosing session (observation -> discharged).

Implements ``assess_discharge_readiness`` (KetaCare rules 8 and 9):

- discharge_too_early: overridable by a prescriber with a reason. Esketamine: 120 min
  (S1, S4); IV/IM/SC/oral: the clinic's protocol minimum (no published value, required).
  Counted from the last device or the infusion's end by default (S1 "after
  administration"; with 84 mg that is 10 minutes after the first device), or, by clinic
  choice (``observation_from``), from the first device (the REMS form's count, S5). The
  40-minute esketamine BP is timed the same way.
- discharge_vitals_not_acceptable: not overridable when the "before completion" reading is
  missing or stale (S5, rule 8); overridable when out of the clinic's ranges.
- scheduled_vitals_missed: overridable (a missed reading cannot be taken late). Esketamine
  BP at 40 min (S3, rule 8); other routes per the clinic's schedule.
- sedation_not_resolved: MOAA/S back to its pre-dose score (S9b; the message grades it: 4
  mild, <=3 moderate or deeper, S8). Esketamine: not overridable, the REMS requires
  monitoring until resolution (S4, mandatory). Other routes: a clinic rule (no published
  source), overridable by a prescriber.
- dissociation_not_resolved: not overridable; clinician-recorded resolution (S4), CADSS
  cutoff if the clinic set one.
- clinician_readiness_missing: not overridable; "an assessment to determine when the patient
  is considered clinically stable and ready to leave" (S1, S9).

Who may override is enforced by the service (prescriber only). Overriding
``discharge_too_early`` for esketamine leaves the REMS "at least two hours" requirement
unmet; the reason is recorded and the REMS monitoring form reports the actual duration.

Deliberately not done: no automatic extension of observation for hepatic impairment or
other risk factors (the clinic may raise ``esketamine_min_observation_min``); transfer to
emergency care is an ``aborted`` session, not a discharge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.scales.moaas import SEDATION_GRADE_WORDS, sedation_grade
from ketacare.clinical.session.monitoring import (
    DissociationAssessment,
    assess_sedation,
    esketamine_schedule,
    vitals_due,
)
from ketacare.clinical.session.policy import ObservationAnchor, SessionPolicy, observation_start
from ketacare.clinical.session.references import (
    KETACARE_CLINIC_SETTING,
    SPRAVATO_LABEL_2019,
    SPRAVATO_REMS,
    SPRAVATO_REMS_MONITORING_FORM,
)
from ketacare.clinical.session.types import (
    CareSetting,
    Drug,
    Route,
    is_esketamine,
    require_aware,
)
from ketacare.clinical.session.vitals import Vitals, assess_vitals


@dataclass(frozen=True, slots=True)
class DischargeContext:
    """The session's facts at the time discharge is considered.

    ``first_dose_at``: the first esketamine device, or the start of the IV/IM/SC/oral dose.
    ``last_dose_at``: the last esketamine device, or the end of the infusion (None = the same
    as ``first_dose_at``); observation counts from it unless the clinic chose the first.
    ``vitals``: every reading of the session (pre-dose readings are ignored here).
    ``moaas_latest``: the most recent MOAA/S (None if not assessed since dosing).
    """

    drug: Drug
    route: Route
    setting: CareSetting
    first_dose_at: datetime
    vitals: tuple[Vitals, ...]
    moaas_predose: int
    moaas_latest: int | None
    dissociation: DissociationAssessment | None
    clinician_ready: bool
    last_dose_at: datetime | None = None

    def __post_init__(self) -> None:
        require(
            isinstance(self.drug, Drug)
            and isinstance(self.route, Route)
            and isinstance(self.setting, CareSetting),
            "invalid_value",
            "Drug, route and care setting must be known values.",
        )
        is_esketamine(self.drug, self.route)
        require_aware(self.first_dose_at, "first_dose_at")
        if self.last_dose_at is not None:
            require_aware(self.last_dose_at, "last_dose_at")
            require(
                self.last_dose_at >= self.first_dose_at,
                "invalid_value",
                "The last dose cannot be before the first.",
                field="last_dose_at",
            )
        require(
            all(isinstance(v, Vitals) for v in self.vitals),
            "invalid_value",
            "vitals must be a list of vital-sign readings.",
            field="vitals",
        )
        require(
            self.dissociation is None or isinstance(self.dissociation, DissociationAssessment),
            "invalid_value",
            "dissociation must be a dissociation assessment.",
            field="dissociation",
        )
        require(
            isinstance(self.clinician_ready, bool),
            "invalid_value",
            "clinician_ready must be yes or no.",
            field="clinician_ready",
        )


def minimum_observation_min(drug: Drug, route: Route, policy: SessionPolicy) -> int:
    """Minimum observation in minutes: the label's 120 (or the clinic's longer value) for
    esketamine; the clinic's protocol value for other routes (refused if unset)."""
    if is_esketamine(drug, route):
        return policy.esketamine_min_observation_min
    minimum = policy.observation_min_for(route)
    require(
        minimum is not None,
        "observation_minimum_not_configured",
        f"The clinic's protocol sets no minimum observation time for the {route.value} route; "
        "no published value exists, so it must be set before discharge can be assessed.",
        route=route.value,
    )
    return minimum  # type: ignore[return-value]


def _vitals_findings(
    ctx: DischargeContext, policy: SessionPolicy, as_of: datetime
) -> list[Finding]:
    for v in ctx.vitals:
        require(
            v.taken_at <= as_of,
            "vitals_in_future",
            "A reading is timed after the moment being checked.",
            field="taken_at",
        )
    after_dose = [v for v in ctx.vitals if v.taken_at >= ctx.first_dose_at]
    latest = max(after_dose, key=lambda v: v.taken_at) if after_dose else None
    max_age = timedelta(minutes=policy.predischarge_vitals_max_age_min)
    if latest is None or as_of - latest.taken_at > max_age:
        return [
            Finding(
                code="discharge_vitals_not_acceptable",
                message=(
                    "Record vital signs including BP before completing the session (none in the "
                    f"last {policy.predischarge_vitals_max_age_min} minutes)."
                ),
                source=SPRAVATO_REMS_MONITORING_FORM,
                overridable=False,
                data=(
                    ("reason", "missing" if latest is None else "stale"),
                    ("max_age_min", policy.predischarge_vitals_max_age_min),
                ),
            )
        ]
    out_of_range = assess_vitals(latest, policy.vitals_thresholds)
    if not out_of_range:
        return []
    return [
        Finding(
            code="discharge_vitals_not_acceptable",
            message=(
                "The latest vital signs are outside the clinic's limits: "
                + "; ".join(f.message for f in out_of_range)
            ),
            source=KETACARE_CLINIC_SETTING,
            overridable=True,
            data=(("reason", "out_of_range"), ("findings", tuple(f.code for f in out_of_range))),
        )
    ]


def _schedule_findings(
    ctx: DischargeContext, policy: SessionPolicy, as_of: datetime
) -> tuple[list[Finding], list[Finding]]:
    if is_esketamine(ctx.drug, ctx.route):
        schedule = esketamine_schedule(tolerance_min=policy.vitals_tolerance_min)
    else:
        schedule = policy.schedule_for(ctx.route)
    if schedule is None:
        warning = Finding(
            code="vitals_schedule_not_configured",
            message=f"The clinic has no vital-sign schedule for the {ctx.route.value} route.",
            source=KETACARE_CLINIC_SETTING,
        )
        return [], [warning]
    # The esketamine 40-minute BP counts "after administration" like the observation (the
    # clinic's anchor); a clinic schedule with a during-infusion phase counts from the start.
    start = (
        observation_start(ctx.first_dose_at, ctx.last_dose_at, policy.observation_from)
        if is_esketamine(ctx.drug, ctx.route)
        else ctx.first_dose_at
    )
    due = vitals_due(ctx.route, start, (v.taken_at for v in ctx.vitals), schedule, as_of)
    if not due.overdue:
        return [], []
    missed = tuple(c.minutes_after_start for c in due.overdue)
    blocker = Finding(
        code="scheduled_vitals_missed",
        message=(
            "Scheduled vital signs were not recorded at "
            + ", ".join(f"{m} min" for m in missed)
            + " after the dose."
        ),
        source=schedule.source,
        overridable=True,
        data=(("missed_minutes", missed),),
    )
    return [blocker], []


def assess_discharge_readiness(
    ctx: DischargeContext, policy: SessionPolicy, *, as_of: datetime
) -> GateDecision:
    """Gate for observation -> discharged at ``as_of``; elapsed time counts from
    ``first_dose_at`` in whole-session minutes (119 min blocks, 120 min passes)."""
    require(isinstance(ctx, DischargeContext), "invalid_value", "A discharge context is required.")
    require(isinstance(policy, SessionPolicy), "invalid_value", "The session policy is required.")
    require_aware(as_of, "as_of")
    require(
        as_of >= ctx.first_dose_at,
        "discharge_before_dose",
        "Discharge cannot be assessed before the first dose was given.",
        field="as_of",
    )
    esketamine = is_esketamine(ctx.drug, ctx.route)
    minimum_min = minimum_observation_min(ctx.drug, ctx.route, policy)
    blockers: list[Finding] = []
    start = observation_start(ctx.first_dose_at, ctx.last_dose_at, policy.observation_from)
    elapsed = as_of - start
    if elapsed < timedelta(minutes=minimum_min):
        elapsed_min = max(0, int(elapsed.total_seconds() // 60))
        since = (
            "the first dose (first device)"
            if policy.observation_from is ObservationAnchor.FIRST_DOSE
            else "the end of administration (last device or end of infusion)"
        )
        blockers.append(
            Finding(
                code="discharge_too_early",
                message=(
                    f"Only {elapsed_min} of the required {minimum_min} minutes of observation "
                    f"have passed since {since}."
                ),
                source=SPRAVATO_LABEL_2019 if esketamine else KETACARE_CLINIC_SETTING,
                overridable=True,
                data=(
                    ("elapsed_min", elapsed_min),
                    ("minimum_min", minimum_min),
                    ("counted_from", policy.observation_from.value),
                    ("observation_ends_at", (start + timedelta(minutes=minimum_min)).isoformat()),
                ),
            )
        )
    blockers.extend(_vitals_findings(ctx, policy, as_of))
    schedule_blockers, warnings = _schedule_findings(ctx, policy, as_of)
    blockers.extend(schedule_blockers)

    # Esketamine: the REMS requires monitoring "until resolution of sedation" (S4, primary,
    # mandatory) and MOAA/S below pre-dose is sedation (S9b). Other routes: no published
    # rule, so the same check is a clinic rule a prescriber may override.
    sedation_source = SPRAVATO_REMS if esketamine else KETACARE_CLINIC_SETTING
    if ctx.moaas_latest is None:
        blockers.append(
            Finding(
                code="sedation_not_resolved",
                message="Assess sedation (MOAA/S) before discharge.",
                source=sedation_source,
                overridable=not esketamine,
                data=(("reason", "not_assessed"),),
            )
        )
    else:
        sedation = assess_sedation(ctx.moaas_predose, ctx.moaas_latest)
        if sedation.sedated:
            blockers.append(
                Finding(
                    code="sedation_not_resolved",
                    message=(
                        f"MOAA/S is {sedation.moaas_now}, below the pre-dose "
                        f"{sedation.moaas_predose}; sedation has not resolved "
                        f"({SEDATION_GRADE_WORDS[sedation_grade(sedation.moaas_now)]}; any "
                        "decrease from pre-dose is sedation, S9b)."
                    ),
                    source=sedation_source,
                    overridable=not esketamine,
                    data=(
                        ("moaas_predose", sedation.moaas_predose),
                        ("moaas_now", sedation.moaas_now),
                        ("sedation_grade", sedation_grade(sedation.moaas_now)),
                    ),
                )
            )

    if ctx.dissociation is None or not ctx.dissociation.resolved:
        blockers.append(
            Finding(
                code="dissociation_not_resolved",
                message="Dissociation has not been recorded as resolved.",
                source=SPRAVATO_REMS,
                overridable=False,
                data=(
                    (
                        "reason",
                        "not_assessed" if ctx.dissociation is None else ctx.dissociation.reason,
                    ),
                ),
            )
        )

    if not ctx.clinician_ready:
        blockers.append(
            Finding(
                code="clinician_readiness_missing",
                message=(
                    "A clinician must record that the patient is clinically stable and "
                    "ready to leave."
                ),
                source=SPRAVATO_LABEL_2019,
                overridable=False,
            )
        )
    return GateDecision(blockers=tuple(blockers), warnings=tuple(warnings))
