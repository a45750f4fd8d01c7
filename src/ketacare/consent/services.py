"""Writes for informed consent: publish a document version, sign it, withdraw a signature.

Each service is atomic, authorised and audited in the same transaction. Refusals change
nothing:
- bad input (blank text, a typed name that does not match, a blank reason) raises
  ``InvalidClinicalInput`` (422);
- a request that conflicts with the record's state (signing a version that is not the one in
  force, signing before a version takes effect, withdrawing twice) raises ``GateBlocked`` (409)
  with one non-overridable finding, so clients see a stable code and a clinician-readable
  message in ``details.blockers``.

Typed-name rule: the typed name must equal the patient's registered name, given name then
family name, ignoring case and extra spaces ("avery  ALVAREZ" matches Avery Alvarez). No other
spelling is accepted; if the registered name is wrong, correct the demographics first.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.consent.models import (
    ConsentDocument,
    ConsentDocumentVersion,
    ConsentRoute,
    ConsentSignature,
)
from ketacare.consent.selectors import current_version_for
from ketacare.patients.models import Patient
from ketacare.records import save_validated

CONSENT_VERSION_NOT_CURRENT = "consent_version_not_current"
CONSENT_VERSION_NOT_YET_EFFECTIVE = "consent_version_not_yet_effective"
CONSENT_ALREADY_WITHDRAWN = "consent_already_withdrawn"
CONSENT_TYPED_NAME_MISMATCH = "consent_typed_name_mismatch"


def _conflict(code: str, message: str, **data: object) -> GateBlocked:
    return GateBlocked(
        GateDecision(
            blockers=(
                Finding(
                    code=code,
                    message=message,
                    source=None,
                    overridable=False,
                    data=tuple(data.items()),
                ),
            )
        )
    )


def _normalised_name(value: str) -> str:
    return " ".join(value.casefold().split())


def _require_aware(value: datetime, field: str) -> None:
    require(
        isinstance(value, datetime) and value.tzinfo is not None,
        "datetime_not_timezone_aware",
        f"'{field}' must be a timezone-aware date and time.",
        field=field,
    )


@transaction.atomic
def publish_consent_version(
    *,
    actor: User,
    route: str,
    title: str,
    body: str,
    effective_at: datetime,
    material_change: bool,
) -> ConsentDocumentVersion:
    """Publish the next version of the clinic's consent document for ``route`` (creating the
    document on first publication). Versions take effect in order: a version may not take
    effect before the one it supersedes."""
    require_permission(actor, Permission.MANAGE_CONSENT_DOCUMENTS)
    require(
        route in ConsentRoute.values,
        "consent_route_invalid",
        "The route must be iv, im, sc, intranasal or oral.",
    )
    require(bool(title.strip()), "consent_title_required", "A consent document needs a title.")
    require(bool(body.strip()), "consent_body_required", "A consent version needs its text.")
    _require_aware(effective_at, "effective_at")
    now = timezone.now()
    document = (
        ConsentDocument.objects.select_for_update()
        .filter(clinic_id=actor.clinic_id, route=route)
        .first()
    )
    if document is None:
        document = ConsentDocument(
            clinic_id=actor.clinic_id,
            route=route,
            title=title.strip(),
            created_at=now,
            created_by=actor,
        )
        save_validated(document)
        record_write(
            actor=actor,
            action=AuditAction.CREATE,
            target=document,
            after={"route": route, "title": document.title},
            summary="consent document created",
        )
    elif document.title != title.strip():
        before = document.title
        document.title = title.strip()
        save_validated(document, update_fields=["title"])
        record_write(
            actor=actor,
            action=AuditAction.UPDATE,
            target=document,
            before={"title": before},
            after={"title": document.title},
            summary="consent document retitled",
        )
    previous = document.versions.order_by("-version_number").first()
    if previous is not None and effective_at < previous.effective_at:
        raise InvalidClinicalInput(
            "consent_version_effective_before_previous",
            f"Version {previous.version_number + 1} cannot take effect before version "
            f"{previous.version_number}, which it supersedes.",
            {"previous_effective_at": previous.effective_at.isoformat()},
        )
    version = ConsentDocumentVersion(
        clinic_id=actor.clinic_id,
        document=document,
        version_number=previous.version_number + 1 if previous else 1,
        body=body,
        effective_at=effective_at,
        material_change=material_change,
        created_at=now,
        created_by=actor,
    )
    save_validated(version)
    record_write(
        actor=actor,
        action=AuditAction.CREATE if previous is None else AuditAction.SUPERSEDE,
        target=version,
        after={
            "route": route,
            "version_number": version.version_number,
            "effective_at": effective_at,
            "material_change": material_change,
            "supersedes_version": previous.version_number if previous else None,
        },
        summary="consent version published",
    )
    return version


@transaction.atomic
def sign_consent(
    *,
    actor: User,
    patient: Patient,
    version: ConsentDocumentVersion,
    typed_name: str,
    signed_at: datetime | None = None,
) -> ConsentSignature:
    """Record the patient's typed-name signature of ``version``, witnessed by ``actor``.

    ``signed_at`` defaults to now; an earlier time records a paper consent signed then. The
    version must be the one in force for its route at ``signed_at``."""
    require_permission(actor, Permission.RECORD_CONSENT)
    require(
        patient.clinic_id == actor.clinic_id and version.clinic_id == actor.clinic_id,
        "wrong_clinic",
        "This patient or consent document belongs to another clinic.",
    )
    now = timezone.now()
    when = signed_at or now
    _require_aware(when, "signed_at")
    require(when <= now, "date_in_future", "The signing time cannot be in the future.")
    require(
        _normalised_name(typed_name) == _normalised_name(patient.display_name),
        CONSENT_TYPED_NAME_MISMATCH,
        "The typed name must match the patient's registered name (given name then family "
        "name; case and extra spaces are ignored).",
    )
    version = ConsentDocumentVersion.objects.select_related("document").get(pk=version.pk)
    route = version.document.route
    if version.effective_at > when:
        raise _conflict(
            CONSENT_VERSION_NOT_YET_EFFECTIVE,
            f"Version {version.version_number} of the {route} consent is not in force yet; "
            "the patient signs the version in force.",
            version_number=version.version_number,
            effective_at=version.effective_at.isoformat(),
        )
    current = current_version_for(version.document, as_of=when)
    if current is not None and current.pk != version.pk:
        raise _conflict(
            CONSENT_VERSION_NOT_CURRENT,
            f"Version {version.version_number} of the {route} consent has been superseded by "
            f"version {current.version_number}; the patient signs the version in force.",
            version_number=version.version_number,
            current_version_number=current.version_number,
        )
    signature = ConsentSignature(
        clinic_id=patient.clinic_id,
        patient=patient,
        version=version,
        signed_text_snapshot=version.body,
        typed_name=typed_name.strip(),
        signed_at=when,
        witness=actor,
        created_at=now,
        created_by=actor,
    )
    save_validated(signature)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=signature,
        patient_id=patient.pk,
        after={
            "route": route,
            "version_number": version.version_number,
            "signed_at": when,
            "witness": actor.pk,
        },
        summary="consent signed",
    )
    return signature


@transaction.atomic
def withdraw_consent(
    *, actor: User, signature: ConsentSignature, reason: str, withdrawn_at: datetime | None = None
) -> ConsentSignature:
    """Record that the patient withdrew this consent. A withdrawal is final for this
    signature: treatment on the route needs a new signature."""
    require_permission(actor, Permission.RECORD_CONSENT)
    require(
        signature.clinic_id == actor.clinic_id,
        "wrong_clinic",
        "This consent belongs to another clinic.",
    )
    require(
        bool(reason and reason.strip()),
        "withdrawal_reason_required",
        "Record why the consent was withdrawn (for example, the patient's own words).",
    )
    now = timezone.now()
    when = withdrawn_at or now
    _require_aware(when, "withdrawn_at")
    require(when <= now, "date_in_future", "The withdrawal time cannot be in the future.")
    signature = ConsentSignature.objects.select_for_update().get(pk=signature.pk)
    if signature.withdrawn_at is not None:
        raise _conflict(
            CONSENT_ALREADY_WITHDRAWN,
            "This consent was already withdrawn; nothing was changed.",
            withdrawn_at=signature.withdrawn_at.isoformat(),
        )
    require(
        when >= signature.signed_at,
        "consent_withdrawn_before_signed",
        "A consent cannot be withdrawn before it was signed.",
    )
    signature.withdrawn_at = when
    signature.withdrawn_by = actor
    signature.withdrawal_reason = reason.strip()
    save_validated(signature, update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record_write(
        actor=actor,
        action=AuditAction.WITHDRAW,
        target=signature,
        patient_id=signature.patient_id,
        before={"withdrawn_at": None},
        after={"withdrawn_at": when},
        reason=signature.withdrawal_reason,
        summary="consent withdrawn",
    )
    return signature
