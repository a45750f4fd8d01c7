"""What a SMART authorization carries besides the OAuth grant and tokens (django-oauth-toolkit
keeps those): the EHR launch a chart started, and the patient in context of each grant and
token. Tokens are found by the SHA-256 of their value, as the toolkit itself stores them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SmartLaunch(models.Model):
    """An EHR launch: a clinician opened a registered SMART app from a patient's chart. The
    ``code`` is the opaque ``launch`` value handed to the app; it resolves, once, to the
    patient, for the same user, before it expires."""

    code = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"launch of {self.application_id} for patient {self.patient_id}"


class SmartContext(models.Model):
    """The launch context of one authorization code, then of the tokens issued from it
    (a refreshed token gets a new row with the same patient)."""

    code_checksum = models.CharField(max_length=64, unique=True, null=True, blank=True)
    access_checksum = models.CharField(max_length=64, unique=True, null=True, blank=True)
    refresh_checksum = models.CharField(max_length=64, unique=True, null=True, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT)
    launch = models.ForeignKey(SmartLaunch, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"SMART context (patient {self.patient_id})"


class SmartAppLaunchUrl(models.Model):
    """Where a registered SMART app starts: a chart opens ``launch_url?iss=<FHIR base>&
    launch=<code>`` (SMART EHR launch). Apps without one can still launch standalone."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="smart_launch_url",
    )
    launch_url = models.URLField(max_length=500)

    def __str__(self) -> str:
        return f"{self.application.name}: {self.launch_url}"
