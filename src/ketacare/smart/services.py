"""Writes: an EHR launch started from a chart, and the record of an app being authorized."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_refused, record_write
from ketacare.patients.selectors import access_patient
from ketacare.smart.models import SmartAppLaunchUrl, SmartLaunch

# How long a launch code waits for the app to come back to /oauth2/authorize. SMART leaves
# it to the EHR; a few minutes covers an app's start-up without leaving a code lying around.
LAUNCH_CODE_MINUTES = 5


@transaction.atomic
def start_ehr_launch(*, actor, patient_id: int, application_id: int, fhir_base: str) -> str:
    """Launch a registered SMART app for a patient from the chart: the URL to send the
    browser to (``launch_url?iss=<FHIR base>&launch=<code>``)."""
    require_permission(actor, Permission.VIEW_PATIENT)
    patient = access_patient(actor, patient_id, purpose="SMART app launch")
    app = (
        SmartAppLaunchUrl.objects.select_related("application")
        .filter(application_id=application_id)
        .first()
    )
    if app is None:
        raise NotFound("SMART app")
    now = timezone.now()
    launch = SmartLaunch.objects.create(
        code=secrets.token_urlsafe(32),
        application=app.application,
        user=actor,
        patient=patient,
        created_at=now,
        expires_at=now + timedelta(minutes=LAUNCH_CODE_MINUTES),
    )
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=launch,
        patient_id=patient.pk,
        summary=f"SMART app {app.application.name!r} launched from the chart",
    )
    separator = "&" if "?" in app.launch_url else "?"
    return f"{app.launch_url}{separator}{urlencode({'iss': fhir_base, 'launch': launch.code})}"


def claim_launch(*, actor, code: str, client_id: str, use: bool) -> SmartLaunch | None:
    """The launch ``code`` names, if it is this user's, for this app, unexpired and unused;
    with ``use``, marked used (a launch code opens one authorization: the consent page may
    be shown again, the answer is taken once)."""
    with transaction.atomic():
        launch = (
            SmartLaunch.objects.select_for_update()
            .select_related("application")
            .filter(
                code=code,
                user=actor,
                application__client_id=client_id,
                expires_at__gt=timezone.now(),
                used_at__isnull=True,
            )
            .first()
        )
        if launch is not None and use:
            launch.used_at = timezone.now()
            launch.save(update_fields=["used_at"])
        return launch


def record_authorization(
    *, actor, application, scopes: str, patient_id: int | None, allowed: bool
) -> None:
    """The user's answer on the consent page."""
    name = application.name or application.client_id
    if allowed:
        record_write(
            actor=actor,
            action=AuditAction.UPDATE,
            target=application,
            patient_id=patient_id,
            summary=f"SMART app {name!r} authorized: {scopes}",
        )
    else:
        record_refused(
            actor=actor,
            target=application,
            patient_id=patient_id,
            codes=["smart_authorization_denied"],
            summary=f"SMART app {name!r} not authorized: {scopes}",
        )
