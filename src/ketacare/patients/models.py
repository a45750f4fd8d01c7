"""The patient record: demographics, body measurements, diagnoses, medicines and the
antidepressant-trial history of the current episode.

Measurements, diagnoses and trials are append-only clinical records (a correction is a new
row that supersedes the old one, with a reason). Demographics change in place, each change
audited with its before and after values.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord
from ketacare.clinical.plausibility import LIMITS


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Patient(ClinicalRecord):
    mrn = models.CharField("medical record number", max_length=20)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    current_episode_onset = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="unique_mrn_per_clinic"),
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class SupersedableRecord(ClinicalRecord):
    """A clinical fact that is corrected by a newer row, never edited."""

    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    supersede_reason = models.TextField(blank=True)

    class Meta:
        abstract = True


class WeightMeasurement(SupersedableRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    measured_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Input sanity, not a clinical threshold: the recorded human extremes, cited in
            # ketacare.clinical.plausibility (services refuse first, with the field named).
            models.CheckConstraint(
                name="weight_plausible",
                condition=Q(weight_kg__gte=LIMITS["weight_kg"].low)
                & Q(weight_kg__lte=LIMITS["weight_kg"].high),
            )
        ]
        indexes = [models.Index(fields=["patient", "-measured_at"])]


class HeightMeasurement(SupersedableRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="heights")
    height_cm = models.DecimalField(max_digits=4, decimal_places=1)
    measured_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="height_plausible",
                condition=Q(height_cm__gte=LIMITS["height_cm"].low)
                & Q(height_cm__lte=LIMITS["height_cm"].high),
            )
        ]


class DiagnosisStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"


class Diagnosis(SupersedableRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM code", max_length=8)
    description = models.CharField(max_length=200)
    onset_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=DiagnosisStatus.choices, default=DiagnosisStatus.ACTIVE
    )


class MedicationClass(models.TextChoices):
    ANTIDEPRESSANT = "antidepressant", "Antidepressant"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    SEDATIVE_HYPNOTIC = "sedative_hypnotic", "Non-benzodiazepine sedative hypnotic"
    OPIOID = "opioid", "Opioid"
    PSYCHOSTIMULANT = "psychostimulant", "Psychostimulant"
    MAOI = "maoi", "Monoamine oxidase inhibitor"
    OTHER = "other", "Other"


class Medication(SupersedableRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    drug_class = models.CharField(max_length=20, choices=MedicationClass.choices)
    dose_text = models.CharField(max_length=120, blank=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="medication_stops_after_start",
                condition=Q(stopped_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(stopped_on__gte=models.F("started_on")),
            )
        ]


class Adherence(models.TextChoices):
    GOOD = "good", "Good"
    PARTIAL = "partial", "Partial"
    POOR = "poor", "Poor"
    UNKNOWN = "unknown", "Unknown"


class TrialOutcome(models.TextChoices):
    NO_RESPONSE = "no_response", "No response"
    PARTIAL_RESPONSE = "partial_response", "Partial response"
    RESPONSE = "response", "Response"
    INTOLERANCE = "intolerance", "Stopped for intolerance"


class MedicationTrial(SupersedableRecord):
    """One antidepressant trial; ``adequate`` is the clinician's judgment of dose and
    duration (published adequacy criteria were not retrievable, see clinical-sources)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_trials")
    drug = models.CharField(max_length=120)
    dose_mg_per_day = models.DecimalField(max_digits=7, decimal_places=2)
    weeks = models.PositiveSmallIntegerField()
    adherence = models.CharField(max_length=10, choices=Adherence.choices)
    adequate = models.BooleanField()
    outcome = models.CharField(max_length=20, choices=TrialOutcome.choices)
    augmentation = models.BooleanField(default=False)
    in_current_episode = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="trial_dose_positive", condition=Q(dose_mg_per_day__gt=0)),
            models.CheckConstraint(name="trial_weeks_plausible", condition=Q(weeks__lte=520)),
        ]
