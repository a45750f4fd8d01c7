"""Reads for informed consent.

For other apps (no actor, no audit; the caller has already accessed the patient through
``patients.selectors.access_patient`` and audited that read):
- ``consent_status_for(patient, route, *, as_of)``: the core's ``ConsentStatus`` (valid?,
  stable code, message, the signature relied on). The treatment app's consent gate uses it,
  or ``consent_gate_for`` for a ``GateDecision`` directly.
- ``list_consent_documents_for_patient(patient, *, as_of)``: the portal's view of what the
  patient may read and sign.

For the API and pages (permission, clinic and audit): ``list_consents_for_patient``,
``access_consent``, ``list_consent_documents``; ``patient_consents`` is its unaudited half for
the chart, which has already read the patient through ``access_patient``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.consent import ConsentStatus, consent_gate, has_valid_consent
from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.gates import GateDecision
from ketacare.compiled_reads import CompiledRead, slot
from ketacare.consent.mappers import signature_to_core, versions_by_route
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, ConsentSignature
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient
from ketacare.read_scope import shared_read


def _clinic_versions(clinic_id: int):
    return ConsentDocumentVersion.objects.filter(clinic_id=clinic_id).select_related("document")


def _patient_signatures(patient: Patient):
    return (
        ConsentSignature.objects.filter(patient=patient, clinic_id=patient.clinic_id)
        .select_related("version__document", "witness", "withdrawn_by")
        .order_by("-signed_at", "-id")
    )


# The chart's consent reads, compiled to SQL once per connection (compiled_reads.py): the
# querysets above with the patient and clinic as parameters.
_SIGNATURES = CompiledRead(
    lambda: (
        ConsentSignature.objects.filter(
            patient_id=slot(ConsentSignature, "patient"),
            clinic_id=slot(ConsentSignature, "clinic"),
        )
        .select_related("version__document", "witness", "withdrawn_by")
        .order_by("-signed_at", "-id")
    )
)
_VERSIONS = CompiledRead(
    lambda: ConsentDocumentVersion.objects.filter(
        clinic_id=slot(ConsentDocumentVersion, "clinic")
    ).select_related("document")
)


def _core_inputs(patient: Patient):
    versions = versions_by_route(_clinic_versions(patient.clinic_id))
    signatures = [signature_to_core(s) for s in _patient_signatures(patient)]
    return signatures, versions


def consent_status_for(patient: Patient, route: Route | str, *, as_of: datetime) -> ConsentStatus:
    """Whether ``patient`` has valid consent for ``route`` at ``as_of`` (timezone-aware).

    Answers the core's ``has_valid_consent`` over every signature of the patient and every
    published version of the clinic's documents. No permission check and no audit entry: call
    it from a service that has already accessed the patient."""
    signatures, versions = _core_inputs(patient)
    return has_valid_consent(signatures, versions, Route(route), as_of)


def consent_gate_for(patient: Patient, route: Route | str, *, as_of: datetime) -> GateDecision:
    """The core's non-overridable consent gate for ``route`` at ``as_of`` (same contract as
    ``consent_status_for``)."""
    signatures, versions = _core_inputs(patient)
    return consent_gate(signatures, versions, Route(route), as_of)


def current_version_for(
    document: ConsentDocument, *, as_of: datetime
) -> ConsentDocumentVersion | None:
    """The version of ``document`` in force at ``as_of`` (reference data, not patient data)."""
    return (
        document.versions.filter(effective_at__lte=as_of)
        .order_by("-version_number")
        .select_related("document")
        .first()
    )


@dataclass(frozen=True, slots=True)
class RouteConsentStatus:
    route: str
    valid: bool
    code: str
    message: str
    signature_id: int | None
    signed_version_number: int | None


@dataclass(frozen=True, slots=True)
class PatientConsents:
    signatures: list[ConsentSignature]
    status: list[RouteConsentStatus]


def _route_statuses(
    clinic_versions: list[ConsentDocumentVersion],
    signatures: list[ConsentSignature],
    routes: list[str],
    as_of: datetime,
) -> list[RouteConsentStatus]:
    versions = versions_by_route(clinic_versions)
    core = [signature_to_core(s) for s in signatures]
    row_of = {id(c): s for c, s in zip(core, signatures, strict=True)}
    out = []
    for route in routes:
        status = has_valid_consent(core, versions, Route(route), as_of)
        row = row_of.get(id(status.signature)) if status.signature is not None else None
        out.append(
            RouteConsentStatus(
                route=route,
                valid=status.valid,
                code=status.code,
                message=status.message,
                signature_id=row.pk if row is not None else None,
                signed_version_number=(
                    status.signature.version.version_number if status.signature else None
                ),
            )
        )
    return out


def list_consents_for_patient(
    actor: User, patient_id: int, *, as_of: datetime | None = None
) -> PatientConsents:
    """Every consent the patient signed (newest first) and the consent status, now or at
    ``as_of``, for each route the clinic has a consent document for. One read entry."""
    patient = access_patient(actor, patient_id, purpose="consents")
    return patient_consents(patient, as_of=as_of or timezone.now())


def patient_consents(patient: Patient, *, as_of: datetime) -> PatientConsents:
    """``list_consents_for_patient`` for a patient already accessed (the chart reads the
    patient once, audited): no permission check, no audit entry. Three queries whatever the
    number of signatures or versions."""
    signatures, routes, versions = _consent_rows(patient)
    return PatientConsents(
        signatures=list(signatures), status=_route_statuses(versions, signatures, routes, as_of)
    )


@shared_read
def _consent_rows(
    patient: Patient,
) -> tuple[list[ConsentSignature], list[str], list[ConsentDocumentVersion]]:
    """The rows ``patient_consents`` decides from, read once per chart (its header and its
    consent panel ask at slightly different instants; read_scope.py)."""
    signatures = _SIGNATURES.rows(patient=patient.pk, clinic=patient.clinic_id)
    routes = list(
        ConsentDocument.objects.filter(clinic_id=patient.clinic_id)
        .order_by("route")
        .values_list("route", flat=True)
    )
    return signatures, routes, _VERSIONS.rows(clinic=patient.clinic_id)


def access_consent(actor: User, consent_id: int, *, purpose: str = "consent") -> ConsentSignature:
    require_permission(actor, Permission.VIEW_PATIENT)
    signature = (
        ConsentSignature.objects.filter(pk=consent_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("version__document", "patient", "witness", "withdrawn_by")
        .first()
    )
    if signature is None:
        raise NotFound("consent")
    record_read(actor=actor, target=signature, patient_id=signature.patient_id, summary=purpose)
    return signature


def access_consent_version(actor: User, version_id: int) -> ConsentDocumentVersion:
    """A version of the actor's clinic's consent documents (reference data: not audited)."""
    require_permission(actor, Permission.VIEW_PATIENT)
    version = (
        ConsentDocumentVersion.objects.filter(pk=version_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("document")
        .first()
    )
    if version is None:
        raise NotFound("consent document version")
    return version


def list_consent_documents(actor: User) -> list[ConsentDocument]:
    """The clinic's consent documents with every version, newest version first."""
    require_permission(actor, Permission.VIEW_PATIENT)
    return list(
        ConsentDocument.objects.filter(clinic_id=actor.clinic_id)
        .prefetch_related("versions")
        .order_by("route")
    )


@dataclass(frozen=True, slots=True)
class PatientConsentDocument:
    """One route's document as the patient sees it: the text in force and whether the
    patient needs to sign it (no valid consent for the route, or re-consent needed)."""

    route: str
    title: str
    version_id: int
    version_number: int
    body: str
    effective_at: datetime
    status_code: str
    needs_signature: bool


def list_consent_documents_for_patient(
    patient: Patient, *, as_of: datetime | None = None
) -> list[PatientConsentDocument]:
    """For the portal: each consent document in force at the patient's clinic with the
    patient's status for its route. No permission check or audit: the portal calls it after
    ``patients.selectors.access_own_patient``."""
    when = as_of or timezone.now()
    signatures, versions = _core_inputs(patient)
    out = []
    for document in ConsentDocument.objects.filter(clinic_id=patient.clinic_id).order_by("route"):
        current = current_version_for(document, as_of=when)
        if current is None:
            continue
        status = has_valid_consent(signatures, versions, Route(document.route), when)
        out.append(
            PatientConsentDocument(
                route=document.route,
                title=document.title,
                version_id=current.pk,
                version_number=current.version_number,
                body=current.body,
                effective_at=current.effective_at,
                status_code=status.code,
                needs_signature=not status.valid,
            )
        )
    return out
