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


class BackendClient(models.Model):
    """A SMART Backend Services client (SMART App Launch 2.x, "Backend Services"): a system
    with no user at run time, such as a data warehouse that pulls a Bulk Data export. It
    authenticates at the token endpoint with a JWT signed by its private key
    (``private_key_jwt``, "client-confidential-asymmetric"), checked against the public keys
    registered here: a JWK Set (``jwks``) or the URL it is published at (``jwks_url``).

    Its OAuth application (a client-credentials grant) belongs to the staff login it acts for
    (``application.user``): that login's clinic bounds what it reads, that login's role
    narrows its ``system/`` scopes, and the audit trail names it with the client."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="backend_client",
    )
    jwks = models.JSONField(null=True, blank=True)
    jwks_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="backend_client_one_key_source",
                condition=(
                    models.Q(jwks__isnull=False, jwks_url="")
                    | (models.Q(jwks__isnull=True) & ~models.Q(jwks_url=""))
                ),
            )
        ]

    def __str__(self) -> str:
        return f"backend client {self.application.client_id}"


class ClientAssertionSeen(models.Model):
    """A client assertion's ``jti``, kept until its ``exp`` so a replayed assertion is refused
    in every worker process. Rows past ``expires_at`` are deleted as new assertions arrive."""

    client_id = models.CharField(max_length=100)
    jti = models.CharField(max_length=256)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "jti"], name="client_assertion_jti_once")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.jti}"
