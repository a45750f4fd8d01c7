"""Informed consent: /api/v1/consent-documents, /patients/{id}/consents, /consents/{id}/withdraw.

Consent is per route (iv, im, sc, intranasal, oral). A clinic admin publishes document
versions; staff record the patient's typed-name signature of the version in force, as witness.
Treatment on a route needs valid consent: signed, not withdrawn, and not superseded by a
version the clinic marked as a material change.
"""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.consent import selectors, services
from ketacare.consent.schemas import (
    ConsentCreate,
    ConsentDocumentRead,
    ConsentRead,
    ConsentVersionCreate,
    ConsentVersionRead,
    ConsentWithdraw,
    PatientConsentsRead,
)
from ketacare.patients.selectors import access_patient

router = Router(tags=["consent"])


@router.get(
    "/consent-documents",
    response={200: list[ConsentDocumentRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def list_consent_documents(request):
    """The clinic's consent documents, one per route, each with every version (newest first).
    Published versions never change."""
    return selectors.list_consent_documents(request.user)


@router.post(
    "/consent-documents",
    response={201: ConsentVersionRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_CONSENT_DOCUMENTS),
)
def publish_consent_version(request, payload: ConsentVersionCreate):
    """Publish a new version of the route's consent document (created on first use). Set
    `material_change` when the change needs every patient to re-consent once it takes effect;
    wording fixes leave existing consents valid. 422 `consent_version_effective_before_previous`
    when it would take effect before the version it supersedes."""
    version = services.publish_consent_version(actor=request.user, **payload.dict())
    return Status(201, version)


@router.post(
    "/patients/{patient_id}/consents",
    response={201: ConsentRead, **ERROR_RESPONSES},
    **guard(
        Permission.RECORD_CONSENT,
        links={
            "ListPatientConsents": (
                "ketacare_consent_api_list_patient_consents",
                {"patient_id": "$request.path.patient_id"},
            )
        },
    ),
)
def sign_consent(request, patient_id: RecordId, payload: ConsentCreate):
    """Record the patient's signature of a consent version; the caller is the witness. The
    signed text is copied onto the consent. 422 `consent_typed_name_mismatch` when the typed
    name is not the patient's registered name; 409 `consent_version_not_current` or
    `consent_version_not_yet_effective` when the version is not the one in force."""
    patient = access_patient(request.user, patient_id, purpose="record consent")
    version = selectors.access_consent_version(request.user, payload.version_id)
    signature = services.sign_consent(
        actor=request.user,
        patient=patient,
        version=version,
        typed_name=payload.typed_name,
        signed_at=payload.signed_at,
    )
    return Status(201, signature)


@router.get(
    "/patients/{patient_id}/consents",
    response={200: PatientConsentsRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def list_patient_consents(request, patient_id: RecordId):
    """Every consent the patient signed (newest first, withdrawn ones included) and, for each
    route with a consent document, whether consent is valid now: `consent_valid`,
    `consent_missing`, `consent_withdrawn` or `consent_superseded`."""
    return selectors.list_consents_for_patient(request.user, patient_id)


@router.post(
    "/consents/{consent_id}/withdraw",
    response={200: ConsentRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_CONSENT),
)
def withdraw_consent(request, consent_id: RecordId, payload: ConsentWithdraw):
    """Record the patient's withdrawal of a consent, with the reason. Further treatment on the
    route needs a new signature. 409 `consent_already_withdrawn` when it was withdrawn before."""
    signature = selectors.access_consent(request.user, consent_id, purpose="withdraw consent")
    return services.withdraw_consent(actor=request.user, signature=signature, reason=payload.reason)
