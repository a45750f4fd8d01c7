"""A research cohort definition: which patients an export or a summary covers.

A patient's index is their first recorded dose. Filters: the protocol code(s) and route of the
course holding that dose, the local date of that dose (a window), age in whole years at that
dose, the severity band of the baseline PHQ-9 (the last before the first dose) and treatment
resistance per the latest eligibility evaluation at or before the first dose. An unset filter
matches everyone; a set TRD or baseline filter excludes patients whose value is unknown.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ketacare.clinical.errors import InvalidClinicalInput

PHQ9_BANDS = ("none_minimal", "mild", "moderate", "moderately_severe", "severe")


@dataclass(frozen=True, slots=True)
class Cohort:
    protocol_codes: tuple[str, ...] = ()
    route: str | None = None
    first_dose_from: date | None = None
    first_dose_to: date | None = None  # inclusive
    age_min: int | None = None
    age_max: int | None = None  # inclusive
    baseline_severity: tuple[str, ...] = ()  # PHQ-9 band codes
    treatment_resistant: bool | None = None

    def __post_init__(self) -> None:
        if (
            self.first_dose_from
            and self.first_dose_to
            and self.first_dose_from > self.first_dose_to
        ):
            raise InvalidClinicalInput(
                "cohort_window_reversed",
                "The first-dose window must start on or before its end.",
                {"field": "first_dose_from"},
            )
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise InvalidClinicalInput(
                "cohort_age_band_reversed",
                "The minimum age must not exceed the maximum age.",
                {"field": "age_min"},
            )
        unknown = sorted(set(self.baseline_severity) - set(PHQ9_BANDS))
        if unknown:
            raise InvalidClinicalInput(
                "cohort_severity_unknown",
                f"Unknown PHQ-9 severity band(s): {', '.join(unknown)}.",
                {"field": "baseline_severity"},
            )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("first_dose_from", "first_dose_to"):
            data[key] = data[key].isoformat() if data[key] else None
        data["protocol_codes"] = list(self.protocol_codes)
        data["baseline_severity"] = list(self.baseline_severity)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cohort:
        values = dict(data)
        for key in ("first_dose_from", "first_dose_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        values["protocol_codes"] = tuple(values.get("protocol_codes") or ())
        values["baseline_severity"] = tuple(values.get("baseline_severity") or ())
        return cls(**values)
