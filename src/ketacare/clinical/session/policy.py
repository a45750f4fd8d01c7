"""The clinic's session settings: cited defaults where a source exists, required otherwise.

Fields with a default carry a cited value (esketamine label, REMS, patient page). Fields
without a default have no published value (reference §3.3: IV/IM/SC monitoring NOT FOUND;
no verified SpO2 cutoff; no published reading-age window), so a clinic must set them before
the gates can run. The core never reads settings: the service builds this object from the
clinic's stored protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ketacare.clinical.errors import require
from ketacare.clinical.session.monitoring import MonitoringSchedule
from ketacare.clinical.session.references import (
    SPRAVATO_LABEL_2019,
    SPRAVATO_PATIENT_FASTING,
    SPRAVATO_REMS_MONITORING_FORM,
)
from ketacare.clinical.session.types import Route
from ketacare.clinical.session.vitals import VitalsThresholds
from ketacare.clinical.sources import cited


class ObservationAnchor(StrEnum):
    """Where the observation minimum and the post-dose checks (the esketamine 40-minute BP)
    are counted from."""

    LAST_DOSE = "last_dose"  # the last esketamine device, or the end of the infusion
    FIRST_DOSE = "first_dose"  # the first device / start of the dose (the REMS form's count)


# S1 (label, primary): monitor "at least 2 hours after administration"; S3: BP "40 minutes
# after administration". Administration ends with the last device (84 mg = three devices 5
# minutes apart) or the infusion's end, so counting from there (``LAST_DOSE``) is the
# conservative reading and the default (issue 16.3). The REMS monitoring form's count from
# the first device (S5, "treatment duration" from the first device) stays a clinic choice
# (``FIRST_DOSE``); with 84 mg it allows discharge 10 minutes after the last device sooner.
OBSERVATION_ANCHOR_DEFAULT = cited(
    "OBSERVATION_ANCHOR_DEFAULT",
    ObservationAnchor.LAST_DOSE.value,
    "anchor",
    SPRAVATO_LABEL_2019,
)
# The clinic-selectable alternative and its source: the REMS form times "treatment duration"
# from the first device (S5).
OBSERVATION_ANCHOR_REMS_FORM = cited(
    "OBSERVATION_ANCHOR_REMS_FORM",
    ObservationAnchor.FIRST_DOSE.value,
    "anchor",
    SPRAVATO_REMS_MONITORING_FORM,
)


_DEFAULT_ANCHOR = ObservationAnchor(OBSERVATION_ANCHOR_DEFAULT)


def observation_start(
    first_dose_at: datetime, last_dose_at: datetime | None, anchor: ObservationAnchor
) -> datetime:
    """The moment observation is counted from (``last_dose_at`` None = a single dose)."""
    if anchor is ObservationAnchor.FIRST_DOSE or last_dose_at is None:
        return first_dose_at
    return max(first_dose_at, last_dose_at)


def last_dose_time(
    started_at: datetime,
    device_times: tuple[datetime, ...] = (),
    infusion_duration_min: int | None = None,
) -> datetime:
    """When administration ended: the last device, the infusion's end, or the start."""
    if device_times:
        return max(device_times)
    if infusion_duration_min:
        return started_at + timedelta(minutes=infusion_duration_min)
    return started_at


# S1/S4/S5: monitor at least 2 hours at every esketamine session.
ESKETAMINE_MIN_OBSERVATION_MIN = cited(
    "ESKETAMINE_MIN_OBSERVATION_MIN", 120, "min", SPRAVATO_LABEL_2019
)
# S58 [V*]: no food for 2 hours and no liquids for 30 minutes before esketamine.
ESKETAMINE_NPO_FOOD_MIN = cited("ESKETAMINE_NPO_FOOD_MIN", 120, "min", SPRAVATO_PATIENT_FASTING)
ESKETAMINE_NPO_LIQUIDS_MIN = cited(
    "ESKETAMINE_NPO_LIQUIDS_MIN", 30, "min", SPRAVATO_PATIENT_FASTING
)


def _minutes(value: object, field: str, *, minimum: int) -> None:
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= minimum,
        "policy_invalid",
        f"{field} must be a whole number of minutes, at least {minimum}.",
        field=field,
    )


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Session settings. Required fields have no published value; defaults are cited."""

    vitals_thresholds: VitalsThresholds
    predose_vitals_max_age_min: int  # newest pre-dose reading must be at most this old
    predischarge_vitals_max_age_min: int  # the "before completion" reading, same idea
    vitals_tolerance_min: int  # a scheduled check is met within +/- this many minutes
    # Esketamine: the label minimum; a clinic may observe longer, never shorter.
    esketamine_min_observation_min: int = ESKETAMINE_MIN_OBSERVATION_MIN
    # Esketamine fasting from the patient page ([V*]): defaults, clinic-adjustable.
    esketamine_npo_food_min: int = ESKETAMINE_NPO_FOOD_MIN
    esketamine_npo_liquids_min: int = ESKETAMINE_NPO_LIQUIDS_MIN
    # IV/IM/SC/oral: observation minimum per route from the clinic's protocol (none cited).
    observation_min_by_route: tuple[tuple[Route, int], ...] = ()
    # IV/IM/SC/oral vital-sign schedules (e.g. monitoring.iv_example_schedule); none cited.
    schedules_by_route: tuple[tuple[Route, MonitoringSchedule], ...] = ()
    # The REMS requires a prescriber and a pulse oximeter onsite for esketamine (S4). For
    # racemic ketamine no source was found; KetaCare applies the same check by default
    # (a conservative clinic choice, overridable by a prescriber), and a clinic may turn it off.
    require_prescriber_on_site_other_routes: bool = True
    require_pulse_oximeter_other_routes: bool = True
    # Observation and the esketamine 40-minute BP counted from the last device / infusion end
    # (default, S1 "after administration") or, by clinic choice, from the first device (the
    # REMS monitoring form's count, S5).
    observation_from: ObservationAnchor = _DEFAULT_ANCHOR

    def __post_init__(self) -> None:
        require(
            isinstance(self.vitals_thresholds, VitalsThresholds),
            "policy_invalid",
            "The clinic's vital-sign thresholds are required.",
            field="vitals_thresholds",
        )
        _minutes(self.predose_vitals_max_age_min, "predose_vitals_max_age_min", minimum=1)
        _minutes(self.predischarge_vitals_max_age_min, "predischarge_vitals_max_age_min", minimum=1)
        _minutes(self.vitals_tolerance_min, "vitals_tolerance_min", minimum=0)
        _minutes(
            self.esketamine_min_observation_min,
            "esketamine_min_observation_min",
            minimum=ESKETAMINE_MIN_OBSERVATION_MIN,  # the label's floor (S1, S4)
        )
        require(
            isinstance(self.observation_from, ObservationAnchor),
            "policy_invalid",
            "observation_from must be last_dose or first_dose.",
            field="observation_from",
        )
        _minutes(self.esketamine_npo_food_min, "esketamine_npo_food_min", minimum=0)
        _minutes(self.esketamine_npo_liquids_min, "esketamine_npo_liquids_min", minimum=0)
        for route, minutes in self.observation_min_by_route:
            require(
                route is not Route.INTRANASAL,
                "policy_invalid",
                "The intranasal (esketamine) minimum comes from the label; set "
                "esketamine_min_observation_min instead.",
                field="observation_min_by_route",
            )
            _minutes(minutes, f"observation_min_by_route[{route}]", minimum=1)
        for route, schedule in self.schedules_by_route:
            require(
                route in schedule.routes,
                "policy_invalid",
                f"The {schedule.name} schedule does not apply to the {route} route.",
                field="schedules_by_route",
            )

    def observation_min_for(self, route: Route) -> int | None:
        """The clinic's protocol minimum for a non-esketamine route (None if unset)."""
        return dict(self.observation_min_by_route).get(route)

    def schedule_for(self, route: Route) -> MonitoringSchedule | None:
        return dict(self.schedules_by_route).get(route)
