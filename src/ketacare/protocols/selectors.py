"""Reads of the protocol library and the clinic policy (clinic reference data, not patient
data: no read audit). The standard library is added to a clinic the first time it is read."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.clinical.dosing.protocols import Protocol
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import OutcomePolicy
from ketacare.compiled_reads import CompiledRead, Slot, slot
from ketacare.protocols.mappers import outcome_policy_from, protocol_for_clinic
from ketacare.protocols.models import ClinicPolicyVersion, ProtocolVersion
from ketacare.protocols.services import ensure_standard_protocols
from ketacare.read_scope import shared_read


def get_protocols(actor: User, *, include_inactive: bool = False) -> list[ProtocolVersion]:
    require_permission(actor, Permission.VIEW_PATIENT)
    ensure_standard_protocols(clinic=actor.clinic)
    qs = ProtocolVersion.objects.filter(clinic_id=actor.clinic_id)
    if not include_inactive:
        qs = qs.filter(active=True)
    return list(qs.order_by("code", "-version"))


def get_active_protocol_version(clinic_id: int, code: str) -> ProtocolVersion:
    row = ProtocolVersion.objects.filter(clinic_id=clinic_id, code=code, active=True).first()
    if row is None:
        raise InvalidClinicalInput(
            "protocol_unknown", f"The clinic has no active protocol {code!r}.", {"code": code}
        )
    return row


# Read by every session write and page: compiled to SQL once per connection.
_ACTIVE_POLICY = CompiledRead(
    lambda: (
        ClinicPolicyVersion.objects.filter(
            clinic_id=Slot("clinic", ClinicPolicyVersion._meta.get_field("clinic").target_field),
            active=True,
        )
        .only("values")
        .order_by("pk")[:1]
    )
)


def get_clinic_policy_values(clinic_id: int) -> dict[str, Any] | None:
    row = _ACTIVE_POLICY.first(clinic=clinic_id)
    return None if row is None else row.values


_ACTIVE_POLICY_ROW = CompiledRead(
    lambda: ClinicPolicyVersion.objects.filter(
        clinic_id=slot(ClinicPolicyVersion, "clinic"), active=True
    ).order_by("pk")[:1]
)


@shared_read
def get_active_clinic_policy(clinic_id: int) -> ClinicPolicyVersion | None:
    """The clinic's active policy row (None until an admin saves one): the outcome and
    maintenance settings are read from it with ``protocols.mappers.outcome_policy_from``."""
    return _ACTIVE_POLICY_ROW.first(clinic=clinic_id)


def get_outcome_policy(clinic_id: int) -> OutcomePolicy:
    """The clinic's ``OutcomePolicy``; the core's cited defaults when it has saved none."""
    return outcome_policy_from(get_active_clinic_policy(clinic_id))


def get_clinic_policy(actor: User) -> ClinicPolicyVersion | None:
    require_permission(actor, Permission.VIEW_PATIENT)
    return ClinicPolicyVersion.objects.filter(clinic_id=actor.clinic_id, active=True).first()


def protocol_of(version: ProtocolVersion) -> Protocol:
    """The core ``Protocol`` of a stored version, with the clinic's observation minimum."""
    return protocol_for_clinic(version.parameters, get_clinic_policy_values(version.clinic_id))
