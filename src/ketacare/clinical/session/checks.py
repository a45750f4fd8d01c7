"""Gates before treatment: clearance at check-in, the pre-dose check, and device spacing.

Implements (KetaCare rules 1, 2, 6, 7, 10, 14, 22, 23 of the clinical reference)
- ``check_clear`` (checked_in -> cleared): consent, same-day suicide-risk safety assessment,
  fasting, ride home, REMS enrolment/certification (esketamine), and a recent pre-dose BP.
- ``check_predose`` (cleared -> dosing): everything ``check_clear`` checks (re-checked at the
  moment of dosing, since time has passed), plus a prescriber onsite, a pulse oximeter, and
  the dose decision from ``clinical.dosing`` merged in as-is.
- ``check_device_interval``: at least 5 minutes between esketamine devices (S3).

Blocker codes and whether a prescriber may override them:

- consent_missing: not overridable (the consent module decides validity).
- predose_vitals_missing: not overridable (rule 7, S2).
- bp_above_predose_threshold: a warning that needs an acknowledgment (a licensed clinician
  records the risk-benefit decision with a reason, audited), not a block: the label's 140/90
  is guidance ("consider delaying", S2/S2c [V*], a secondary copy). Esketamine only by
  default; IV/IM/SC only when the clinic sets limits (no source for those routes), else the
  warning predose_bp_limit_not_set says so.
- bp_above_hard_limit: not overridable (clinic setting, no cited default).
- safety_assessment_required: not overridable; cleared by documenting the assessment
  (rules 22-23).
- npo_not_confirmed: esketamine, a warning that needs an acknowledgment: the label advises
  patients to "avoid" food 2 h and liquids 30 min before (guidance about nausea, not a
  must), and the text KetaCare holds is the manufacturer's patient page (S58, secondary).
  Other routes: an overridable block on the clinic's own fasting instructions (no published
  IV/IM/SC fasting times; the clinic's rule, grade CLINIC).
- ride_home_missing: overridable (S1, S3, rule 10); outpatients only.
- rems_setting_not_certified, rems_patient_not_enrolled: not overridable (S4, S6, rule 1).
- prescriber_not_on_site, pulse_oximeter_unavailable: not overridable for esketamine
  (S4, S3); overridable for other routes (clinic policy).
- dose_not_within_limits: not overridable (no dose decision supplied).

Deliberately not done: the safety assessment does not block MDSI treatment once documented
(rule 23: the indication is acute suicidality); dose maths and dose limits are decided in
``clinical.dosing`` and only merged here; who may override is enforced by the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from ketacare.clinical.consent import CLINIC_CONSENT_POLICY
from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.session.policy import SessionPolicy
from ketacare.clinical.session.references import (
    KETACARE_CLINIC_SETTING,
    SPRAVATO_HCP_DOSING,
    SPRAVATO_LABEL_2019,
    SPRAVATO_PATIENT_FASTING,
    SPRAVATO_REMS,
    SPRAVATO_REMS_SETTINGS,
    SUICIDE_RISK_SAFETY_ASSESSMENT,
)
from ketacare.clinical.session.types import (
    CareSetting,
    Drug,
    Route,
    is_esketamine,
    require_aware,
)
from ketacare.clinical.session.vitals import Vitals, predose_bp_limits
from ketacare.clinical.sources import cited

# S3: "wait 5 minutes between each device".
ESKETAMINE_MIN_DEVICE_INTERVAL_MIN = cited(
    "ESKETAMINE_MIN_DEVICE_INTERVAL_MIN", 5, "min", SPRAVATO_HCP_DOSING
)


def _bool(value: object, field: str) -> None:
    require(isinstance(value, bool), "invalid_value", f"{field} must be yes or no.", field=field)


@dataclass(frozen=True, slots=True)
class ClearanceContext:
    """What the service knows about the patient on the day, before dosing.

    ``consent_valid``/``consent_code`` come from the consent module (e.g. code
    ``consent_superseded``). Same-day safety flags come from the scales module.
    ``last_food_at``/``last_liquids_at`` are optional patient-reported times; when given for
    esketamine they are checked against the fasting minimums as well as the confirmation.
    """

    drug: Drug
    route: Route
    setting: CareSetting
    consent_valid: bool
    consent_code: str | None
    predose_vitals: tuple[Vitals, ...]
    phq9_item9_positive_today: bool
    cssrs_high_risk_today: bool
    safety_assessment_documented: bool
    npo_instructions_confirmed: bool
    ride_home_confirmed: bool
    rems_patient_enrolled: bool
    rems_setting_certified: bool
    last_food_at: datetime | None = None
    last_liquids_at: datetime | None = None

    def __post_init__(self) -> None:
        require(
            isinstance(self.drug, Drug)
            and isinstance(self.route, Route)
            and isinstance(self.setting, CareSetting),
            "invalid_value",
            "Drug, route and care setting must be known values.",
        )
        is_esketamine(self.drug, self.route)  # refuses esketamine by a non-nasal route
        for name in (
            "consent_valid",
            "phq9_item9_positive_today",
            "cssrs_high_risk_today",
            "safety_assessment_documented",
            "npo_instructions_confirmed",
            "ride_home_confirmed",
            "rems_patient_enrolled",
            "rems_setting_certified",
        ):
            _bool(getattr(self, name), name)
        require(
            all(isinstance(v, Vitals) for v in self.predose_vitals),
            "invalid_value",
            "predose_vitals must be a list of vital-sign readings.",
            field="predose_vitals",
        )
        for name in ("last_food_at", "last_liquids_at"):
            value = getattr(self, name)
            if value is not None:
                require_aware(value, name)


@dataclass(frozen=True, slots=True)
class PredoseContext:
    """The clearance facts plus what must be true in the room at the moment of dosing."""

    clearance: ClearanceContext
    prescriber_on_site: bool
    pulse_oximeter_available: bool
    dose_decision: GateDecision | None  # from clinical.dosing; None = dose not yet checked

    def __post_init__(self) -> None:
        require(
            isinstance(self.clearance, ClearanceContext),
            "invalid_value",
            "The clearance context is required.",
            field="clearance",
        )
        _bool(self.prescriber_on_site, "prescriber_on_site")
        _bool(self.pulse_oximeter_available, "pulse_oximeter_available")
        require(
            self.dose_decision is None or isinstance(self.dose_decision, GateDecision),
            "invalid_value",
            "dose_decision must be the dosing module's decision.",
            field="dose_decision",
        )


def _latest_predose_vitals(
    vitals: Sequence[Vitals], policy: SessionPolicy, as_of: datetime
) -> Vitals | None:
    for v in vitals:
        require(
            v.taken_at <= as_of,
            "vitals_in_future",
            "A pre-dose reading is timed after the moment being checked.",
            field="taken_at",
        )
    window_start = as_of - timedelta(minutes=policy.predose_vitals_max_age_min)
    recent = [v for v in vitals if v.taken_at >= window_start]
    return max(recent, key=lambda v: v.taken_at) if recent else None


def _bp_findings(
    ctx: ClearanceContext, policy: SessionPolicy, as_of: datetime
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Blockers, acknowledgment-warnings and plain warnings for the pre-dose BP."""
    blockers: list[Finding] = []
    acknowledgments: list[Finding] = []
    warnings: list[Finding] = []
    latest = _latest_predose_vitals(ctx.predose_vitals, policy, as_of)
    if latest is None:
        blockers.append(
            Finding(
                code="predose_vitals_missing",
                message=(
                    "No pre-dose vital signs in the last "
                    f"{policy.predose_vitals_max_age_min} minutes; record BP before dosing."
                ),
                # S3 (primary): BP "should be monitored prior to ... administration".
                source=SPRAVATO_HCP_DOSING
                if ctx.drug is Drug.ESKETAMINE
                else (KETACARE_CLINIC_SETTING),
                overridable=False,
                data=(("max_age_min", policy.predose_vitals_max_age_min),),
            )
        )
        return blockers, acknowledgments, warnings
    thresholds = policy.vitals_thresholds
    hard_sys = thresholds.predose_hard_systolic_max_mmhg
    hard_dia = thresholds.predose_hard_diastolic_max_mmhg
    if (hard_sys is not None and latest.systolic_mmhg > hard_sys) or (
        hard_dia is not None and latest.diastolic_mmhg > hard_dia
    ):
        blockers.append(
            Finding(
                code="bp_above_hard_limit",
                message=(
                    f"Pre-dose BP {latest.systolic_mmhg}/{latest.diastolic_mmhg} mmHg is above "
                    "the clinic's hard limit; do not dose today."
                ),
                source=KETACARE_CLINIC_SETTING,
                overridable=False,
                data=(
                    ("systolic_mmhg", latest.systolic_mmhg),
                    ("diastolic_mmhg", latest.diastolic_mmhg),
                    ("hard_systolic_max_mmhg", hard_sys),
                    ("hard_diastolic_max_mmhg", hard_dia),
                ),
            )
        )
    limits = predose_bp_limits(thresholds, esketamine=ctx.drug is Drug.ESKETAMINE)
    if limits is None:
        warnings.append(
            Finding(
                code="predose_bp_limit_not_set",
                message=(
                    f"The clinic has set no pre-dose BP limit for the {ctx.route.value} route. "
                    "No published source for racemic ketamine by this route gives one (the "
                    "esketamine label's 140/90 is not borrowed); set it on the protocol."
                ),
                source=KETACARE_CLINIC_SETTING,
            )
        )
        return blockers, acknowledgments, warnings
    # The label's ">140/90" is strictly greater: 140/90 passes, 141/90 and 140/91 do not.
    if (
        latest.systolic_mmhg > limits.systolic_max_mmhg
        or latest.diastolic_mmhg > limits.diastolic_max_mmhg
    ):
        acknowledgments.append(
            Finding(
                code="bp_above_predose_threshold",
                message=(
                    f"Pre-dose BP {latest.systolic_mmhg}/{latest.diastolic_mmhg} mmHg is above "
                    f"{limits.systolic_max_mmhg}/{limits.diastolic_max_mmhg} mmHg; weigh the "
                    "short-term BP rise against the benefit and acknowledge the decision, with "
                    "a reason, before dosing (the label says consider delaying: guidance, "
                    "not a contraindication)."
                ),
                source=limits.source,
                overridable=False,  # acknowledged, not overridden
                data=(
                    ("systolic_mmhg", latest.systolic_mmhg),
                    ("diastolic_mmhg", latest.diastolic_mmhg),
                    ("systolic_max_mmhg", limits.systolic_max_mmhg),
                    ("diastolic_max_mmhg", limits.diastolic_max_mmhg),
                    ("from_label_default", limits.from_label_default),
                ),
            )
        )
    return blockers, acknowledgments, warnings


def _fasting_shortfall(last_at: datetime | None, minimum_min: int, as_of: datetime) -> bool:
    return last_at is not None and as_of - last_at < timedelta(minutes=minimum_min)


def check_clear(ctx: ClearanceContext, policy: SessionPolicy, *, as_of: datetime) -> GateDecision:
    """Gate for checked_in -> cleared: patient-level readiness at ``as_of``."""
    require(isinstance(ctx, ClearanceContext), "invalid_value", "A clearance context is required.")
    require(isinstance(policy, SessionPolicy), "invalid_value", "The session policy is required.")
    require_aware(as_of, "as_of")
    esketamine = is_esketamine(ctx.drug, ctx.route)
    outpatient = ctx.setting is CareSetting.OUTPATIENT
    blockers: list[Finding] = []

    if not ctx.consent_valid:
        blockers.append(
            Finding(
                code="consent_missing",
                message="There is no valid signed consent for this treatment.",
                source=CLINIC_CONSENT_POLICY,
                overridable=False,
                data=(("consent_code", ctx.consent_code),),
            )
        )

    if (
        ctx.phq9_item9_positive_today or ctx.cssrs_high_risk_today
    ) and not ctx.safety_assessment_documented:
        blockers.append(
            Finding(
                code="safety_assessment_required",
                message=(
                    "Today's PHQ-9 item 9 is positive or the C-SSRS shows high risk; document a "
                    "same-day safety assessment before the session proceeds."
                ),
                source=SUICIDE_RISK_SAFETY_ASSESSMENT,
                overridable=False,
                data=(
                    ("phq9_item9_positive_today", ctx.phq9_item9_positive_today),
                    ("cssrs_high_risk_today", ctx.cssrs_high_risk_today),
                ),
            )
        )

    fasting_acknowledgments: list[Finding] = []
    if esketamine:
        # The label advises patients to avoid food 2 h and liquids 30 min before (nausea and
        # vomiting); guidance, read here in the manufacturer's patient page (S58, secondary):
        # an acknowledgment-warning, not a block (issue 16.2).
        food_short = _fasting_shortfall(ctx.last_food_at, policy.esketamine_npo_food_min, as_of)
        liquids_short = _fasting_shortfall(
            ctx.last_liquids_at, policy.esketamine_npo_liquids_min, as_of
        )
        if not ctx.npo_instructions_confirmed or food_short or liquids_short:
            fasting_acknowledgments.append(
                Finding(
                    code="npo_not_confirmed",
                    message=(
                        f"Patients are advised to avoid food for {policy.esketamine_npo_food_min}"
                        f" minutes and liquids for {policy.esketamine_npo_liquids_min} minutes "
                        "before esketamine (nausea and vomiting); confirm it, or acknowledge "
                        "proceeding with a reason."
                    ),
                    source=SPRAVATO_PATIENT_FASTING,
                    overridable=False,  # acknowledged, not overridden
                    data=(
                        ("confirmed", ctx.npo_instructions_confirmed),
                        ("food_too_recent", food_short),
                        ("liquids_too_recent", liquids_short),
                        ("npo_food_min", policy.esketamine_npo_food_min),
                        ("npo_liquids_min", policy.esketamine_npo_liquids_min),
                    ),
                )
            )
    elif not ctx.npo_instructions_confirmed:
        blockers.append(
            Finding(
                code="npo_not_confirmed",
                message="Confirm the patient followed the clinic's fasting instructions.",
                source=KETACARE_CLINIC_SETTING,  # no published IV/IM/SC fasting times found
                overridable=True,
                data=(("confirmed", False),),
            )
        )

    if outpatient and not ctx.ride_home_confirmed:
        blockers.append(
            Finding(
                code="ride_home_missing",
                message=(
                    "Record who is taking the patient home; the patient must not drive until "
                    "the next day after a restful sleep."
                ),
                source=SPRAVATO_LABEL_2019 if esketamine else KETACARE_CLINIC_SETTING,
                overridable=True,
            )
        )

    if esketamine and not ctx.rems_setting_certified:
        blockers.append(
            Finding(
                code="rems_setting_not_certified",
                message="This setting is not recorded as SPRAVATO REMS-certified.",
                source=SPRAVATO_REMS,
                overridable=False,
            )
        )
    if esketamine and outpatient and not ctx.rems_patient_enrolled:
        blockers.append(
            Finding(
                code="rems_patient_not_enrolled",
                message="The patient has no SPRAVATO REMS enrolment recorded before treatment.",
                source=SPRAVATO_REMS_SETTINGS,
                overridable=False,
            )
        )

    bp_blockers, acknowledgments, warnings = _bp_findings(ctx, policy, as_of)
    blockers.extend(bp_blockers)
    acknowledgments = fasting_acknowledgments + acknowledgments
    return GateDecision(
        blockers=tuple(blockers),
        warnings=tuple(warnings),
        acknowledgments=tuple(acknowledgments),
    )


def check_predose(ctx: PredoseContext, policy: SessionPolicy, *, as_of: datetime) -> GateDecision:
    """Gate for cleared -> dosing at ``as_of``: clearance re-checked, staffing, equipment and
    the dosing module's decision merged in."""
    require(isinstance(ctx, PredoseContext), "invalid_value", "A pre-dose context is required.")
    decision = check_clear(ctx.clearance, policy, as_of=as_of)
    clearance = ctx.clearance
    esketamine = is_esketamine(clearance.drug, clearance.route)
    rems_outpatient = esketamine and clearance.setting is CareSetting.OUTPATIENT
    blockers: list[Finding] = []

    if not ctx.prescriber_on_site and (
        rems_outpatient or policy.require_prescriber_on_site_other_routes
    ):
        blockers.append(
            Finding(
                code="prescriber_not_on_site",
                message="A prescriber must be onsite during administration and monitoring.",
                source=SPRAVATO_REMS if rems_outpatient else KETACARE_CLINIC_SETTING,
                overridable=not rems_outpatient,
            )
        )
    if not ctx.pulse_oximeter_available and (
        esketamine or policy.require_pulse_oximeter_other_routes
    ):
        blockers.append(
            Finding(
                code="pulse_oximeter_unavailable",
                message="A working pulse oximeter must be available for this session.",
                source=SPRAVATO_REMS if esketamine else KETACARE_CLINIC_SETTING,
                overridable=not esketamine,
            )
        )
    if ctx.dose_decision is None:
        blockers.append(
            Finding(
                code="dose_not_within_limits",
                message="The dose has not been checked against the protocol's limits.",
                overridable=False,
            )
        )
    decision = decision.merge(GateDecision(blockers=tuple(blockers)))
    if ctx.dose_decision is not None:
        # Dosing's own blockers (e.g. dose_above_ceiling) keep their codes and overridability,
        # so a prescriber overrides the specific reason, not a summary.
        decision = decision.merge(ctx.dose_decision)
    return decision


def check_device_interval(
    device_times: Sequence[datetime],
    min_interval: timedelta = timedelta(minutes=ESKETAMINE_MIN_DEVICE_INTERVAL_MIN),
) -> GateDecision:
    """Blocks when any two consecutive esketamine devices are less than ``min_interval``
    apart (default 5 minutes, S3). ``device_times`` are the recorded device times in order."""
    require(
        isinstance(min_interval, timedelta) and min_interval > timedelta(0),
        "invalid_value",
        "min_interval must be a positive duration.",
        field="min_interval",
    )
    times = tuple(device_times)
    for t in times:
        require_aware(t, "device_times")
    require(
        all(a <= b for a, b in pairwise(times)),
        "device_times_out_of_order",
        "Device times must be listed in the order the devices were used.",
        field="device_times",
    )
    blockers = tuple(
        Finding(
            code="device_interval_too_short",
            message=(
                f"Device {i + 2} was used {int((b - a).total_seconds())} seconds after device "
                f"{i + 1}; wait at least {int(min_interval.total_seconds() // 60)} minutes "
                "between devices."
            ),
            source=SPRAVATO_HCP_DOSING,
            overridable=False,
            data=(
                ("device", i + 2),
                ("interval_seconds", int((b - a).total_seconds())),
                ("min_interval_seconds", int(min_interval.total_seconds())),
            ),
        )
        for i, (a, b) in enumerate(pairwise(times))
        if b - a < min_interval
    )
    return GateDecision(blockers=blockers)
