"""The consent panel of the clinician chart: for each route the clinic has a consent
document for, whether the patient's consent is valid now (valid, missing, withdrawn, or
superseded by a material change so re-consent is needed), and every signature with its
witness and any withdrawal. Three queries whatever the history (``patient_consents``)."""

from __future__ import annotations

from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.clinical.consent import (
    CLINIC_CONSENT_POLICY,
    CONSENT_MISSING,
    CONSENT_SUPERSEDED,
    CONSENT_VALID,
    CONSENT_WITHDRAWN,
)
from ketacare.consent.models import ConsentRoute
from ketacare.consent.selectors import patient_consents
from ketacare.web.chart import ChartPanel

STATUS_LABEL = {
    CONSENT_VALID: ("Valid", "ok"),
    CONSENT_MISSING: ("Missing", "warn"),
    CONSENT_WITHDRAWN: ("Withdrawn", "danger"),
    CONSENT_SUPERSEDED: ("Superseded: re-consent needed", "warn"),
}


# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_PATIENT


def chart_panels(request, patient) -> list[ChartPanel]:
    consents = patient_consents(patient, as_of=timezone.now())
    statuses = [
        {
            "route": s.route,
            "route_label": ConsentRoute(s.route).label,
            "code": s.code,
            "message": s.message,
            "valid": s.valid,
            "label": STATUS_LABEL.get(s.code, (s.code, "warn"))[0],
            "badge": STATUS_LABEL.get(s.code, (s.code, "warn"))[1],
            "signed_version_number": s.signed_version_number,
            # The rule a refusal rests on, with its grade (issue 16.5).
            "source": None if s.valid else CLINIC_CONSENT_POLICY.as_dict(),
        }
        for s in consents.status
    ]
    return [
        ChartPanel(
            key="consent",
            title="Consent",
            template="consent/chart_panel.html",
            order=5,
            context={
                "statuses": statuses,
                "signatures": consents.signatures,
                "can_record": has_permission(request.user, Permission.RECORD_CONSENT),
            },
        )
    ]
