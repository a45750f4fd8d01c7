"""Writes to the protocol library and the clinic policy. Each is atomic, authorised (clinic
admin, ``MANAGE_PROTOCOLS``), validated by the core before anything is saved, and audited.

A new version supersedes the active one: the old row only loses its ``active`` flag (and
gets ``superseded_at``); its parameters never change, so courses keep the version they were
ordered under.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketacare.accounts.models import Clinic, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.dosing.protocols import STANDARD_PROTOCOLS
from ketacare.protocols.mappers import (
    OUTCOME_COLUMNS,
    dosing_policy_from,
    maintenance_policy_from,
    outcome_policy_from,
    outcome_values,
    protocol_from_data,
    protocol_to_data,
    session_policy_for,
)
from ketacare.protocols.models import ClinicPolicyVersion, ProtocolVersion
from ketacare.records import save_validated


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _insert_version(
    *, clinic_id: int, actor: User | None, data: dict[str, Any], reason: str, now: datetime
) -> ProtocolVersion:
    protocol = protocol_from_data(data)  # the core validates; refuses before any write
    current = (
        ProtocolVersion.objects.select_for_update()
        .filter(clinic_id=clinic_id, code=protocol.code, active=True)
        .first()
    )
    last = ProtocolVersion.objects.filter(clinic_id=clinic_id, code=protocol.code).aggregate(
        n=Max("version")
    )["n"]
    if current is not None:
        current.active = False
        current.superseded_at = now
        save_validated(current, update_fields=["active", "superseded_at"])
    row = ProtocolVersion(
        clinic_id=clinic_id,
        code=protocol.code,
        version=(last or 0) + 1,
        name=protocol.name,
        drug=protocol.drug.value,
        route=protocol.route.value,
        indication=protocol.indication.value,
        parameters=protocol_to_data(protocol),
        active=True,
        reason=reason,
        created_at=now,
        created_by=actor,
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.SUPERSEDE if current is not None else AuditAction.CREATE,
        target=row,
        clinic_id=clinic_id,
        before={"version": current.version} if current is not None else None,
        after={"code": row.code, "version": row.version},
        reason=reason,
        summary="protocol version saved",
    )
    return row


@transaction.atomic
def ensure_standard_protocols(*, clinic: Clinic) -> int:
    """Give a clinic the standard library (version 1 of each) the first time it is used;
    returns how many protocols were added (0 when the clinic already has them)."""
    Clinic.objects.select_for_update().get(pk=clinic.pk)
    have = set(ProtocolVersion.objects.filter(clinic=clinic).values_list("code", flat=True))
    now = timezone.now()
    added = 0
    for code, protocol in STANDARD_PROTOCOLS.items():
        if code in have:
            continue
        _insert_version(
            clinic_id=clinic.pk,
            actor=None,
            data=protocol_to_data(protocol),
            reason="standard protocol library",
            now=now,
        )
        added += 1
    return added


@transaction.atomic
def record_protocol_version(
    *, actor: User, data: dict[str, Any], reason: str = ""
) -> ProtocolVersion:
    """Save a new protocol, or a new version of an existing code (superseding the active one)."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    ensure_standard_protocols(clinic=actor.clinic)
    return _insert_version(
        clinic_id=actor.clinic_id,
        actor=actor,
        data=_jsonable(data),
        reason=reason,
        now=timezone.now(),
    )


@transaction.atomic
def record_clinic_policy(
    *, actor: User, values: dict[str, Any], reason: str = ""
) -> ClinicPolicyVersion:
    """Save the clinic's clinical settings as a new version; the core checks they are usable.

    Outcome and maintenance settings (``OUTCOME_COLUMNS``) go to the row's typed columns and
    are checked by the core's ``OutcomePolicy``/``MaintenancePolicy`` before anything is
    written (a refusal names the field)."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    outcome = {k: values.get(k) for k in OUTCOME_COLUMNS}
    stored = _jsonable(
        {k: v for k, v in values.items() if v is not None and k not in OUTCOME_COLUMNS}
    )
    dosing_policy_from(stored)  # refuses inconsistent settings (e.g. min weight >= max)
    session_policy_for(stored)
    candidate = ClinicPolicyVersion(values=stored, **outcome)
    maintenance_policy_from(candidate, outcome_policy=outcome_policy_from(candidate))
    now = timezone.now()
    current = (
        ClinicPolicyVersion.objects.select_for_update()
        .filter(clinic_id=actor.clinic_id, active=True)
        .first()
    )
    last = ClinicPolicyVersion.objects.filter(clinic_id=actor.clinic_id).aggregate(
        n=Max("version")
    )["n"]
    if current is not None:
        current.active = False
        current.superseded_at = now
        save_validated(current, update_fields=["active", "superseded_at"])
    row = candidate
    row.clinic_id = actor.clinic_id
    row.version = (last or 0) + 1
    row.active = True
    row.reason = reason
    row.created_at = now
    row.created_by = actor
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.SUPERSEDE if current is not None else AuditAction.CREATE,
        target=row,
        before={**current.values, **outcome_values(current)} if current is not None else None,
        after={**stored, **outcome_values(row)},
        reason=reason,
        summary="clinic policy saved",
    )
    return row
