"""Mapping between stored protocol/policy rows and the core's frozen types.

- ``protocol_to_data`` / ``protocol_from_data``: a ``clinical.dosing.Protocol`` as JSON (every
  Decimal as a string, so no precision is lost) and back; ``protocol_from_data`` re-validates
  with the core's ``validate_protocol`` and turns malformed data into ``InvalidClinicalInput``.
- ``dosing_policy_from`` and ``session_policy_for``: the clinic's stored policy values as the
  core's ``DosingPolicy`` and ``SessionPolicy``. Values the clinic leaves unset keep the core's
  cited defaults (the numbers are not repeated here).
- ``outcome_policy_from`` and ``maintenance_policy_from``: the policy row's outcome columns as
  the core's ``OutcomePolicy`` and (non-esketamine bounds, or the esketamine label bounds)
  ``MaintenancePolicy``; refusals name the column (``details.field``).
- ``session_route``/``session_drug``: the dosing vocabulary (``iv``) to the session one
  (``intravenous``).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ketacare.clinical.dosing.dose import DosingPolicy
from ketacare.clinical.dosing.protocols import (
    Drug,
    FixedStepDose,
    Indication,
    Phase,
    Protocol,
    Route,
    ScheduleRule,
    VitalsSchedule,
    WeightBasedDose,
    WeightBasis,
    validate_protocol,
    with_clinic_settings,
)
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import (
    DurabilityThreshold,
    MaintenancePolicy,
    OutcomePolicy,
    esketamine_maintenance_policy,
)
from ketacare.clinical.outcomes.definitions import MADRS
from ketacare.clinical.session import types as session_types
from ketacare.clinical.session.monitoring import iv_example_schedule
from ketacare.clinical.session.policy import (
    OBSERVATION_ANCHOR_DEFAULT,
    ObservationAnchor,
    SessionPolicy,
)
from ketacare.clinical.session.vitals import VitalsThresholds
from ketacare.clinical.sources import SOURCES, Grade, Source

_SESSION_ROUTE = {
    Route.IV: session_types.Route.INTRAVENOUS,
    Route.IM: session_types.Route.INTRAMUSCULAR,
    Route.SC: session_types.Route.SUBCUTANEOUS,
    Route.INTRANASAL: session_types.Route.INTRANASAL,
}
# Clinic-policy keys holding the observation minimum of each non-esketamine route.
OBSERVATION_KEYS = {
    Route.IV: "observation_min_iv",
    Route.IM: "observation_min_im",
    Route.SC: "observation_min_sc",
}


def session_route(route: Route) -> session_types.Route:
    return _SESSION_ROUTE[route]


def session_drug(drug: Drug) -> session_types.Drug:
    return session_types.Drug(drug.value)


# --- Protocols -------------------------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _source_data(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "key": source.key,
        "citation": source.citation,
        "url": source.url,
        "locator": source.locator,
        "verified": source.verified,
        "grade": source.grade.value if source.grade else None,
        "mandatory": source.mandatory,
    }


def protocol_to_data(p: Protocol) -> dict[str, Any]:
    rule = p.dose_rule
    if isinstance(rule, WeightBasedDose):
        dose: dict[str, Any] = {
            "kind": "weight_based",
            "default_mg_per_kg": _dec(rule.default_mg_per_kg),
            "soft_limit_mg_per_kg": _dec(rule.soft_limit_mg_per_kg),
            "ceiling_mg_per_kg": _dec(rule.ceiling_mg_per_kg),
            "minimum_mg_per_kg": _dec(rule.minimum_mg_per_kg),
            "weight_basis": rule.weight_basis.value,
            "source": _source_data(rule.source),
        }
    else:
        dose = {
            "kind": "fixed_step",
            "steps_mg": [str(s) for s in rule.steps_mg],
            "start_dose_mg": _dec(rule.start_dose_mg),
            "first_session_max_mg": _dec(rule.first_session_max_mg),
            "source": _source_data(rule.source),
        }
    s = p.schedule
    v = p.vitals
    return {
        "code": p.code,
        "name": p.name,
        "drug": p.drug.value,
        "route": p.route.value,
        "indication": p.indication.value,
        "dose_rule": dose,
        "schedule": {
            "phases": [
                {
                    "first_week": ph.first_week,
                    "last_week": ph.last_week,
                    "max_sessions_per_week": ph.max_sessions_per_week,
                    "allowed_doses_mg": [str(d) for d in ph.allowed_doses_mg],
                    "flag_code": ph.flag_code,
                    "flag_message": ph.flag_message,
                    "source": _source_data(ph.source),
                }
                for ph in s.phases
            ],
            "planned_sessions": s.planned_sessions,
            "acute_series_flag_above": s.acute_series_flag_above,
            "review_after_week": s.review_after_week,
            "source": _source_data(s.source),
        },
        "vitals": {
            "pre_dose": v.pre_dose,
            "at_minutes_after_dose": list(v.at_minutes_after_dose),
            "during_infusion_every_min": v.during_infusion_every_min,
            "after_infusion_every_min": v.after_infusion_every_min,
            "before_discharge": v.before_discharge,
            "clinic_example_only": v.clinic_example_only,
            "source": _source_data(v.source),
        },
        "observation_min": p.observation_min,
        "infusion_duration_min": p.infusion_duration_min,
        "flag_infusion_faster_than_min": p.flag_infusion_faster_than_min,
        "device_interval_min": p.device_interval_min,
        "sources": [_source_data(src) for src in p.sources],
    }


def _source(data: Any) -> Source | None:
    if data is None:
        return None
    grade = data.get("grade")
    mandatory = data.get("mandatory")
    if grade is None:
        # Protocols stored before sources were graded: take the grade of the shipped source
        # with the same key and citation, or leave it ungraded (shown as such).
        known = next(
            (s for s in SOURCES.get(str(data["key"]), []) if s.citation == data["citation"]),
            None,
        )
        grade = known.grade.value if known and known.grade else None
        mandatory = known.mandatory if known else False
    return Source(
        key=str(data["key"]),
        citation=str(data["citation"]),
        url=data.get("url"),
        locator=data.get("locator"),
        verified=bool(data.get("verified", False)),
        grade=Grade(grade) if grade else None,
        mandatory=bool(mandatory),
    )


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _build(data: dict[str, Any]) -> Protocol:
    d = data["dose_rule"]
    rule: WeightBasedDose | FixedStepDose
    if d["kind"] == "weight_based":
        rule = WeightBasedDose(
            default_mg_per_kg=Decimal(str(d["default_mg_per_kg"])),
            soft_limit_mg_per_kg=Decimal(str(d["soft_limit_mg_per_kg"])),
            ceiling_mg_per_kg=Decimal(str(d["ceiling_mg_per_kg"])),
            minimum_mg_per_kg=_opt_dec(d.get("minimum_mg_per_kg")),
            weight_basis=WeightBasis(d.get("weight_basis", "actual")),
            source=_source(d.get("source")),
        )
    elif d["kind"] == "fixed_step":
        rule = FixedStepDose(
            steps_mg=tuple(Decimal(str(x)) for x in d["steps_mg"]),
            start_dose_mg=_opt_dec(d.get("start_dose_mg")),
            first_session_max_mg=_opt_dec(d.get("first_session_max_mg")),
            source=_source(d.get("source")),
        )
    else:
        raise ValueError("unknown dose rule kind")
    s = data["schedule"]
    v = data["vitals"]
    return Protocol(
        code=str(data["code"]),
        name=str(data["name"]),
        drug=Drug(data["drug"]),
        route=Route(data["route"]),
        indication=Indication(data["indication"]),
        dose_rule=rule,
        schedule=ScheduleRule(
            phases=tuple(
                Phase(
                    first_week=int(ph["first_week"]),
                    last_week=None if ph.get("last_week") is None else int(ph["last_week"]),
                    max_sessions_per_week=int(ph["max_sessions_per_week"]),
                    allowed_doses_mg=tuple(Decimal(str(x)) for x in ph.get("allowed_doses_mg", ())),
                    flag_code=ph.get("flag_code"),
                    flag_message=ph.get("flag_message"),
                    source=_source(ph.get("source")),
                )
                for ph in s["phases"]
            ),
            planned_sessions=s.get("planned_sessions"),
            acute_series_flag_above=s.get("acute_series_flag_above"),
            review_after_week=s.get("review_after_week"),
            source=_source(s.get("source")),
        ),
        vitals=VitalsSchedule(
            pre_dose=bool(v.get("pre_dose", True)),
            at_minutes_after_dose=tuple(int(m) for m in v.get("at_minutes_after_dose", ())),
            during_infusion_every_min=v.get("during_infusion_every_min"),
            after_infusion_every_min=v.get("after_infusion_every_min"),
            before_discharge=bool(v.get("before_discharge", True)),
            clinic_example_only=bool(v.get("clinic_example_only", False)),
            source=_source(v.get("source")),
        ),
        observation_min=data.get("observation_min"),
        infusion_duration_min=data.get("infusion_duration_min"),
        flag_infusion_faster_than_min=data.get("flag_infusion_faster_than_min"),
        device_interval_min=data.get("device_interval_min"),
        sources=tuple(src for src in (_source(x) for x in data.get("sources", ())) if src),
    )


def protocol_from_data(data: dict[str, Any]) -> Protocol:
    """The stored JSON as a validated core ``Protocol`` (``invalid_protocol`` otherwise)."""
    try:
        protocol = _build(data)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise InvalidClinicalInput(
            "invalid_protocol", "The protocol data is incomplete or malformed.", {"error": str(exc)}
        ) from exc
    return validate_protocol(protocol)


# Protocols built from their stored JSON, by protocol version id: (a copy of the JSON, the
# clinic's observation minimums, the protocol). A version's parameters never change once
# stored (protocols/services.py supersedes, it does not edit), but the entry is still only used
# while both are equal to the caller's: a row changed by any means takes effect on its next
# read. (== counts 60 and 60.0 as the same; every number the build takes from them is the same
# either way.) Protocol is frozen all the way down, so one instance can be shared between
# requests and threads.
_PROTOCOLS_BY_VERSION: dict[int, tuple[dict[str, Any], tuple[Any, ...] | None, Protocol]] = {}
_PROTOCOLS_BY_VERSION_MAX = 512
_OBSERVATION_KEY_NAMES = tuple(OBSERVATION_KEYS.values())


def protocol_for_version(
    version_id: int, data: dict[str, Any], policy_values: dict[str, Any] | None
) -> Protocol:
    """``protocol_for_clinic`` for a stored protocol version, built once while its JSON and the
    clinic's observation minimums stay as they are (the build and validation are the same)."""
    minimums = (
        None
        if policy_values is None
        else tuple(policy_values.get(k) for k in _OBSERVATION_KEY_NAMES)
    )
    hit = _PROTOCOLS_BY_VERSION.get(version_id)
    if hit is not None and hit[1] == minimums and hit[0] == data:
        return hit[2]
    protocol = protocol_for_clinic(data, policy_values)  # raises on bad data: nothing kept
    if len(_PROTOCOLS_BY_VERSION) >= _PROTOCOLS_BY_VERSION_MAX:
        _PROTOCOLS_BY_VERSION.clear()
    _PROTOCOLS_BY_VERSION[version_id] = (copy.deepcopy(data), minimums, protocol)
    return protocol


def protocol_for_clinic(data: dict[str, Any], policy_values: dict[str, Any] | None) -> Protocol:
    """The protocol with the clinic's observation minimum for its route filled in, where the
    protocol itself has none (no published value for IV/IM/SC)."""
    protocol = protocol_from_data(data)
    key = OBSERVATION_KEYS.get(protocol.route)
    if protocol.observation_min is None and key and policy_values and policy_values.get(key):
        protocol = with_clinic_settings(protocol, observation_min=int(policy_values[key]))
    return protocol


# --- Clinic policy ---------------------------------------------------------------------------

_THRESHOLD_KEYS = (
    "predose_systolic_max_mmhg",
    "predose_diastolic_max_mmhg",
    "predose_hard_systolic_max_mmhg",
    "predose_hard_diastolic_max_mmhg",
    "systolic_max_mmhg",
    "diastolic_max_mmhg",
    "heart_rate_min_bpm",
    "heart_rate_max_bpm",
    "respiratory_rate_min_per_min",
    "respiratory_rate_max_per_min",
)
_SESSION_OPTIONAL = (
    "esketamine_min_observation_min",
    "esketamine_npo_food_min",
    "esketamine_npo_liquids_min",
    "require_prescriber_on_site_other_routes",
    "require_pulse_oximeter_other_routes",
)


def _policy_missing() -> InvalidClinicalInput:
    return InvalidClinicalInput(
        "clinic_policy_not_set",
        "The clinic has not saved its clinical policy (weight age, plausible weights, syringe "
        "increment, SpO2 minimum, vital-sign ages); a clinic admin must set it first.",
    )


def dosing_policy_from(values: dict[str, Any] | None) -> DosingPolicy:
    if not values:
        raise _policy_missing()
    return DosingPolicy(
        weight_max_age_days=int(values["weight_max_age_days"]),
        plausible_weight_min_kg=Decimal(str(values["plausible_weight_min_kg"])),
        plausible_weight_max_kg=Decimal(str(values["plausible_weight_max_kg"])),
        syringe_increment_ml=Decimal(str(values["syringe_increment_ml"])),
        esketamine_older_adult_28mg_start=bool(
            values.get("esketamine_older_adult_28mg_start", False)
        ),
        max_mg_per_rolling_7_days=_opt_dec(values.get("max_mg_per_rolling_7_days")),
        max_mg_per_rolling_30_days=_opt_dec(values.get("max_mg_per_rolling_30_days")),
    )


def session_policy_for(
    values: dict[str, Any] | None, protocol: Protocol | None = None
) -> SessionPolicy:
    """The clinic's ``SessionPolicy``; with ``protocol``, its route's observation minimum
    and (IV, if the clinic adopted it) the published example vital-sign schedule."""
    if not values:
        raise _policy_missing()
    thresholds = VitalsThresholds(
        spo2_min_percent=int(values["spo2_min_percent"]),
        **{k: values[k] for k in _THRESHOLD_KEYS if values.get(k) is not None},
    )
    optional: dict[str, Any] = {
        k: values[k] for k in _SESSION_OPTIONAL if values.get(k) is not None
    }
    if values.get("observation_from"):
        optional["observation_from"] = ObservationAnchor(values["observation_from"])
    observation: list[tuple[session_types.Route, int]] = []
    schedules = []
    for route, key in OBSERVATION_KEYS.items():
        minutes = values.get(key)
        if protocol is not None and protocol.route is route and protocol.observation_min:
            minutes = protocol.observation_min
        if minutes:
            observation.append((session_route(route), int(minutes)))
    iv_minutes = dict(observation).get(session_types.Route.INTRAVENOUS)
    # The example schedule's window is counted from the start of the infusion; when the
    # clinic counts observation from the infusion's end (the default), it runs that much longer.
    anchor = optional.get("observation_from", ObservationAnchor(OBSERVATION_ANCHOR_DEFAULT))
    if (
        values.get("iv_vitals_schedule_emory_example")
        and protocol is not None
        and protocol.route is Route.IV
        and protocol.infusion_duration_min
        and iv_minutes
    ):
        schedules.append(
            (
                session_types.Route.INTRAVENOUS,
                iv_example_schedule(
                    infusion_min=protocol.infusion_duration_min,
                    observation_until_min=iv_minutes
                    + (
                        protocol.infusion_duration_min
                        if anchor is ObservationAnchor.LAST_DOSE
                        else 0
                    ),
                    tolerance_min=int(values["vitals_tolerance_min"]),
                ),
            )
        )
    return SessionPolicy(
        vitals_thresholds=thresholds,
        predose_vitals_max_age_min=int(values["predose_vitals_max_age_min"]),
        predischarge_vitals_max_age_min=int(values["predischarge_vitals_max_age_min"]),
        vitals_tolerance_min=int(values["vitals_tolerance_min"]),
        observation_min_by_route=tuple(observation),
        schedules_by_route=tuple(schedules),
        **optional,
    )


# --- Clinic outcome policy -------------------------------------------------------------------

# Columns of ``ClinicPolicyVersion`` that are ``OutcomePolicy`` fields of the same name.
OUTCOME_POLICY_FIELDS = (
    "response_min_reduction_pct",
    "partial_response_min_reduction_pct",
    "phq9_remission_max_total",
    "madrs_remission_max_total",
    "qids_sr16_remission_max_total",
    "phq9_relapse_min_total",
    "madrs_relapse_min_total",
    "qids_sr16_relapse_min_total",
    "relapse_min_consecutive",
    "worsening_min_increase_pct",
    "phq9_worsening_min_increase_points",
    "madrs_worsening_min_increase_points",
    "qids_sr16_worsening_min_increase_points",
    "futility_sessions_without_response",
)
# Stored in whole days, held by the core as durations.
_GAP_FIELDS = {
    "relapse_confirmation_min_gap_days": "relapse_confirmation_min_gap",
    "relapse_confirmation_max_gap_days": "relapse_confirmation_max_gap",
}
MAINTENANCE_FIELDS = {
    "maintenance_min_interval_days": "min_interval_days",
    "maintenance_max_interval_days": "max_interval_days",
    "maintenance_default_interval_days": "default_interval_days",
}
# Every outcome/maintenance column of the policy row (the API and form use the same names).
OUTCOME_COLUMNS = (*OUTCOME_POLICY_FIELDS, *_GAP_FIELDS, *MAINTENANCE_FIELDS)

# The core names some refusals by instrument or not at all; name the stored field instead,
# so the API's 422 and the page point at what to change.
_FIELD_BY_CODE = {
    "policy_partial_response_not_below_response": "partial_response_min_reduction_pct",
    "policy_relapse_gap_invalid": "relapse_confirmation_min_gap_days",
    "maintenance_bounds_inverted": "maintenance_min_interval_days",
    "maintenance_default_outside_bounds": "maintenance_default_interval_days",
}
_FIELD_BY_INSTRUMENT_CODE = {
    "policy_remission_cutoff_out_of_range": "{}_remission_max_total",
    "policy_relapse_cutoff_out_of_range": "{}_relapse_min_total",
    "policy_worsening_points_out_of_range": "{}_worsening_min_increase_points",
}
_MAINTENANCE_FIELD = {core: column for column, core in MAINTENANCE_FIELDS.items()}


def _named(exc: InvalidClinicalInput) -> InvalidClinicalInput:
    details = dict(exc.details)
    field = _FIELD_BY_CODE.get(exc.code)
    if exc.code in _FIELD_BY_INSTRUMENT_CODE and details.get("instrument"):
        field = _FIELD_BY_INSTRUMENT_CODE[exc.code].format(details["instrument"])
    elif details.get("field") in _MAINTENANCE_FIELD:
        field = _MAINTENANCE_FIELD[details["field"]]
    if field:
        details["field"] = field
    return InvalidClinicalInput(exc.code, exc.message, details)


def outcome_values(row: Any) -> dict[str, Any]:
    """The outcome/maintenance columns the clinic set (unset ones left out), JSON-ready."""
    if row is None:
        return {}
    out = {}
    for name in OUTCOME_COLUMNS:
        value = getattr(row, name)
        if value is not None:
            out[name] = str(value) if isinstance(value, Decimal) else value
    return out


def outcome_policy_from(row: Any) -> OutcomePolicy:
    """The clinic's ``OutcomePolicy`` (``row``: a ``ClinicPolicyVersion`` or None). Unset
    columns keep the core's cited defaults; the core validates the combination, and a refusal
    names the column to change (``details.field``)."""
    if row is None:
        return OutcomePolicy()
    kwargs: dict[str, Any] = {}
    for name in OUTCOME_POLICY_FIELDS:
        value = getattr(row, name)
        if value is not None:
            kwargs[name] = Decimal(str(value)) if name.endswith("_pct") else int(value)
    for column, core in _GAP_FIELDS.items():
        value = getattr(row, column)
        if value is not None:
            kwargs[core] = timedelta(days=int(value))
    try:
        return OutcomePolicy(**kwargs)
    except InvalidClinicalInput as exc:
        raise _named(exc) from exc


def maintenance_policy_from(
    row: Any,
    *,
    instrument: str = MADRS,
    threshold: DurabilityThreshold = DurabilityThreshold.RESPONSE,
    esketamine_week: int | None = None,
    outcome_policy: OutcomePolicy | None = None,
) -> MaintenancePolicy:
    """The ``MaintenancePolicy`` for a patient of this clinic. Esketamine (``esketamine_week``
    given, past induction) keeps the label bounds whatever the clinic set; other routes use the
    clinic's min/max/default interval days (no published value: unset means durability alone).
    """
    outcome_policy = outcome_policy or outcome_policy_from(row)
    if esketamine_week is not None:
        return esketamine_maintenance_policy(
            esketamine_week,
            instrument=instrument,
            threshold=threshold,
            outcome_policy=outcome_policy,
        )
    bounds = {
        core: int(getattr(row, column))
        for column, core in MAINTENANCE_FIELDS.items()
        if row is not None and getattr(row, column) is not None
    }
    try:
        return MaintenancePolicy(
            instrument=instrument,
            threshold=threshold,
            outcome_policy=outcome_policy,
            **bounds,
        )
    except InvalidClinicalInput as exc:
        raise _named(exc) from exc
