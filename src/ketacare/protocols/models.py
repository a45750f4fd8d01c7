"""The clinic's protocol library and clinical policy, as versioned data.

``ProtocolVersion`` holds one version of one protocol: the parameters of the core's
``clinical.dosing.Protocol`` as JSON (validated by ``validate_protocol`` before it is saved).
A new version of a code supersedes the active one; old versions stay, so a course keeps
pointing at the exact version it was ordered under.

``ClinicPolicyVersion`` holds the clinic's settings that the core's ``DosingPolicy`` and
``SessionPolicy`` need (weight age, plausible weight range, syringe increment, SpO2 minimum,
vital-sign ages, observation minutes by route, ...). The core refuses to act without the
required values, so a clinic must save a policy before dosing. One active version per clinic.
Its outcome settings (the core's ``OutcomePolicy``: remission cutoffs, response and relapse
definitions, worsening, futility) and the maintenance interval bounds for non-esketamine
routes are typed columns: blank keeps the core's cited default (maintenance bounds have none:
they are the clinic's choice; esketamine always keeps the label bounds).

Both are configuration (edited by a clinic admin, every change audited), not patient data,
so they are plain models listed as mutable in tests/architecture/test_model_mutability.py:
the only in-place change is clearing ``active`` on the version a new one supersedes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


def _pct() -> models.DecimalField:
    return models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)


def _points() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(null=True, blank=True)


class ProtocolVersion(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    drug = models.CharField(max_length=30)
    route = models.CharField(max_length=20)
    indication = models.CharField(max_length=20)
    parameters = models.JSONField()  # protocols.mappers.protocol_to_data(...)
    active = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="unique_protocol_version"
            ),
            models.UniqueConstraint(
                fields=["clinic", "code"],
                condition=Q(active=True),
                name="one_active_protocol_version",
            ),
            models.CheckConstraint(name="protocol_version_positive", condition=Q(version__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class ClinicPolicyVersion(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    values = models.JSONField()  # protocols.schemas.ClinicPolicyCreate, JSON-encoded
    active = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    # Outcome definitions (clinical.outcomes.OutcomePolicy); null = the core's cited default.
    response_min_reduction_pct = _pct()
    partial_response_min_reduction_pct = _pct()
    phq9_remission_max_total = _points()
    madrs_remission_max_total = _points()
    qids_sr16_remission_max_total = _points()
    phq9_relapse_min_total = _points()
    madrs_relapse_min_total = _points()
    qids_sr16_relapse_min_total = _points()
    relapse_min_consecutive = _points()
    relapse_confirmation_min_gap_days = _points()  # null = no spacing rule
    relapse_confirmation_max_gap_days = _points()
    worsening_min_increase_pct = _pct()
    phq9_worsening_min_increase_points = _points()
    madrs_worsening_min_increase_points = _points()  # null = no points rule (none cited)
    qids_sr16_worsening_min_increase_points = _points()
    futility_sessions_without_response = _points()
    # Maintenance bounds for non-esketamine routes (clinical.outcomes.MaintenancePolicy);
    # no published value, so null = unset.
    maintenance_min_interval_days = _points()
    maintenance_max_interval_days = _points()
    maintenance_default_interval_days = _points()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "version"], name="unique_clinic_policy_version"
            ),
            models.UniqueConstraint(
                fields=["clinic"], condition=Q(active=True), name="one_active_clinic_policy"
            ),
            models.CheckConstraint(
                name="clinic_policy_version_positive", condition=Q(version__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"clinic policy v{self.version}"
