"""Treatment-resistant depression (TRD): counting adequate failed antidepressant trials.

Implements the common TRD definition "inadequate response to two or more oral antidepressants
of adequate dose and duration in the current episode" (S56a, citing Gaynes et al.).

What it deliberately does not do:
- It does not decide whether a trial was *adequate*. The ATHF-SF2 minimal adequacy criteria
  (dose and duration per drug) were NOT FOUND in retrievable text and secondary sources disagree
  (4-6 vs 6-8 weeks), so adequacy is the clinician's recorded judgment (``adequate``). Dose and
  weeks are stored for the record and checked only for plausibility.
- Intolerance is not a failure of an adequate trial, so it is not counted.
- An augmentation entry (an agent added to an ongoing antidepressant, e.g. lithium or an
  antipsychotic) is not an antidepressant trial: it is counted for the Maudsley augmentation
  sub-score, not towards the TRD minimum.
- Repeated trials of the same drug count once: the definition counts antidepressants, and a
  re-trial of one drug is not a second antidepressant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.eligibility.references import TRD_DEFINITION
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.sources import cited

TRD_MIN_ADEQUATE_FAILED_TRIALS = cited(
    "TRD_MIN_ADEQUATE_FAILED_TRIALS", 2, "antidepressants", TRD_DEFINITION
)


class Adherence(StrEnum):
    GOOD = "good"
    PARTIAL = "partial"
    POOR = "poor"
    UNKNOWN = "unknown"


class TrialOutcome(StrEnum):
    NO_RESPONSE = "no_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    INTOLERANCE = "intolerance"


FAILED_OUTCOMES = frozenset({TrialOutcome.NO_RESPONSE, TrialOutcome.PARTIAL_RESPONSE})


@dataclass(frozen=True, slots=True)
class AntidepressantTrial:
    """One recorded treatment trial. ``adequate`` is the clinician's judgment of dose and
    duration (no computed adequacy: the criteria were not found). ``augmentation`` marks an
    agent added to an ongoing antidepressant rather than an antidepressant of its own."""

    drug: str
    dose_mg_per_day: Decimal
    weeks: int
    adherence: Adherence
    adequate: bool
    outcome: TrialOutcome
    augmentation: bool
    in_current_episode: bool

    def __post_init__(self) -> None:
        require(
            isinstance(self.drug, str) and bool(self.drug.strip()),
            "trial_drug_missing",
            "Each antidepressant trial needs the drug name.",
        )
        if not isinstance(self.dose_mg_per_day, Decimal) or not self.dose_mg_per_day.is_finite():
            raise InvalidClinicalInput(
                "trial_dose_invalid",
                f"The daily dose for the {self.drug} trial must be a decimal number of mg/day.",
                {"drug": self.drug},
            )
        require(
            self.dose_mg_per_day > 0,
            "trial_dose_invalid",
            f"The daily dose for the {self.drug} trial must be above 0 mg/day.",
            drug=self.drug,
        )
        require(
            isinstance(self.weeks, int) and not isinstance(self.weeks, bool) and self.weeks >= 0,
            "trial_weeks_invalid",
            f"The duration of the {self.drug} trial must be a whole number of weeks, 0 or more.",
            drug=self.drug,
        )
        require(
            isinstance(self.adherence, Adherence),
            "trial_adherence_invalid",
            f"Adherence for the {self.drug} trial must be good, partial, poor or unknown.",
            drug=self.drug,
        )
        require(
            isinstance(self.outcome, TrialOutcome),
            "trial_outcome_invalid",
            f"The outcome of the {self.drug} trial must be no_response, partial_response, "
            "response or intolerance.",
            drug=self.drug,
        )
        for name in ("adequate", "augmentation", "in_current_episode"):
            require(
                isinstance(getattr(self, name), bool),
                "trial_flag_invalid",
                f"'{name}' for the {self.drug} trial must be true or false.",
                drug=self.drug,
                field=name,
            )

    @property
    def is_adequate_failure_in_current_episode(self) -> bool:
        return self.adequate and self.in_current_episode and self.outcome in FAILED_OUTCOMES


def _checked(trials: Iterable[AntidepressantTrial]) -> tuple[AntidepressantTrial, ...]:
    if isinstance(trials, (str, bytes)):
        raise InvalidClinicalInput("trials_invalid", "Trials must be a list of trial records.")
    out = tuple(trials)
    for index, trial in enumerate(out):
        require(
            isinstance(trial, AntidepressantTrial),
            "trials_invalid",
            f"Trial {index + 1} is not an antidepressant trial record.",
            index=index,
        )
    return out


def _drug_key(drug: str) -> str:
    return " ".join(drug.casefold().split())


def count_adequate_failed_trials(trials: Iterable[AntidepressantTrial]) -> int:
    """Number of distinct antidepressants (not augmentation agents) given as an adequate trial
    in the current episode that ended in no response or partial response."""
    return len(
        {
            _drug_key(t.drug)
            for t in _checked(trials)
            if t.is_adequate_failure_in_current_episode and not t.augmentation
        }
    )


def augmentation_failed_in_current_episode(trials: Iterable[AntidepressantTrial]) -> bool:
    """True if an adequate augmentation trial in the current episode failed (MSM sub-score)."""
    return any(
        t.augmentation and t.is_adequate_failure_in_current_episode for t in _checked(trials)
    )


def is_treatment_resistant(
    trials: Iterable[AntidepressantTrial],
    min_adequate_failed_trials: int = TRD_MIN_ADEQUATE_FAILED_TRIALS,
) -> bool:
    """True when at least ``min_adequate_failed_trials`` (default 2, S56a) distinct
    antidepressants failed an adequate trial in the current episode."""
    require(
        isinstance(min_adequate_failed_trials, int)
        and not isinstance(min_adequate_failed_trials, bool)
        and min_adequate_failed_trials >= 1,
        "trd_minimum_invalid",
        "The TRD minimum number of failed trials must be a whole number of at least 1.",
    )
    return count_adequate_failed_trials(trials) >= min_adequate_failed_trials
