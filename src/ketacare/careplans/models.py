"""The treatment plan: goals and components (ketamine course, psychotherapy, lifestyle,
medication management, other), each with an owner, dates and a status; the psychotherapy
sessions held under a plan; and the clinic's integration-session policy.

A plan is versioned: a change is a new ``CarePlan`` row that supersedes the previous one
(kept, marked superseded, with the reason). Components belong to one version. A component's
status changes in place through ``record_component_status``, audited before and after.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.audit.models import ClinicalRecord
from ketacare.clinical.careplan import INTEGRATION_WINDOW_DAYS_MAX


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"


class CarePlan(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="care_plans"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=PlanStatus.choices)
    goals = models.JSONField(default=list, help_text="The plan's goals, one short text each.")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    change_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="plan_version_unique"),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_plan_per_patient",
            ),
            models.CheckConstraint(name="plan_version_positive", condition=Q(version__gte=1)),
            models.CheckConstraint(
                name="plan_new_version_has_reason",
                condition=Q(supersedes__isnull=True) | ~Q(change_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan v{self.version} for patient {self.patient_id} ({self.status})"


class ComponentKind(models.TextChoices):
    KETAMINE_COURSE = "ketamine_course", "Ketamine or esketamine course"
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
    LIFESTYLE = "lifestyle", "Lifestyle"
    MEDICATION_MANAGEMENT = "medication_management", "Medication management"
    OTHER = "other", "Other intervention"


class ComponentSubkind(models.TextChoices):
    # psychotherapy
    PREPARATION = "preparation", "Preparation sessions"
    INTEGRATION = "integration", "Integration sessions"
    CBT = "cbt", "Cognitive behavioural therapy"
    OTHER_THERAPY = "other_therapy", "Other psychotherapy"
    # lifestyle
    SLEEP = "sleep", "Sleep"
    ACTIVITY = "activity", "Physical activity"
    ALCOHOL = "alcohol", "Alcohol"
    SUBSTANCE_USE = "substance_use", "Substance use"


SUBKINDS_BY_KIND: dict[str, frozenset[str]] = {
    ComponentKind.PSYCHOTHERAPY: frozenset(
        {
            ComponentSubkind.PREPARATION,
            ComponentSubkind.INTEGRATION,
            ComponentSubkind.CBT,
            ComponentSubkind.OTHER_THERAPY,
        }
    ),
    ComponentKind.LIFESTYLE: frozenset(
        {
            ComponentSubkind.SLEEP,
            ComponentSubkind.ACTIVITY,
            ComponentSubkind.ALCOHOL,
            ComponentSubkind.SUBSTANCE_USE,
        }
    ),
}


class ComponentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


_MIGRATED_ORDER = (
    *("preparation", "cbt", "integration", "other_therapy"),
    *("substance_use", "activity", "alcohol", "sleep"),
)


def _in_migrated_order(kind: str) -> list[str]:
    return sorted(SUBKINDS_BY_KIND[kind], key=_MIGRATED_ORDER.index)


class PlanComponent(ClinicalRecord):
    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="components")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=25, choices=ComponentKind.choices)
    subkind = models.CharField(max_length=20, choices=ComponentSubkind.choices, blank=True)
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_plan_components",
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ComponentStatus.choices, default=ComponentStatus.PLANNED
    )
    frequency = models.CharField(max_length=120, blank=True)
    # The treatment app's course id, when this component is a ketamine course (no FK, so a
    # plan can name a course before the course is ordered and the apps stay decoupled).
    treatment_course_id = models.BigIntegerField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                name="component_ends_after_start",
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
            ),
            models.CheckConstraint(
                name="component_course_link_only_for_courses",
                condition=Q(treatment_course_id__isnull=True) | Q(kind="ketamine_course"),
            ),
            models.CheckConstraint(
                name="component_subkind_matches_kind",
                # Lists in migration 0001's order: a frozenset's order follows the hash
                # seed, which made `makemigrations --check` fail on some runs.
                condition=(
                    Q(kind="psychotherapy", subkind__in=_in_migrated_order("psychotherapy"))
                    | Q(kind="lifestyle", subkind__in=_in_migrated_order("lifestyle"))
                    | (~Q(kind__in=["psychotherapy", "lifestyle"]) & Q(subkind=""))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:40]}"

    @property
    def kind_label(self) -> str:
        if self.subkind:
            return f"{self.get_kind_display()}: {self.get_subkind_display()}"
        return self.get_kind_display()


class PsychotherapySession(ClinicalRecord):
    """A preparation, integration, CBT or other psychotherapy session that took place."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="psychotherapy_sessions"
    )
    component = models.ForeignKey(PlanComponent, on_delete=models.PROTECT, related_name="sessions")
    subkind = models.CharField(max_length=20, choices=ComponentSubkind.choices)
    held_on = models.DateField()
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "subkind", "held_on"])]


class CarePlanPolicy(models.Model):
    """A clinic's plan settings. ``integration_window_days`` is a clinic policy, not a
    clinical constant (no source sets it): empty means the rule is off."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="care_plan_policy"
    )
    integration_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="integration_window_days_sane",
                condition=Q(integration_window_days__isnull=True)
                | Q(integration_window_days__lte=INTEGRATION_WINDOW_DAYS_MAX),
            )
        ]

    def __str__(self) -> str:
        return f"Care-plan policy of clinic {self.clinic_id}"
