"""Protocol library and clinic policy: /api/v1/protocols, /api/v1/clinic-policy."""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES
from ketacare.protocols import selectors, services
from ketacare.protocols.schemas import (
    ClinicPolicyCreate,
    ClinicPolicyRead,
    ProtocolCreate,
    ProtocolRead,
)

router = Router(tags=["protocols"])


@router.get(
    "/protocols",
    response={200: list[ProtocolRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def list_protocols(request):
    """The clinic's active protocols (route, dose rule, limits, schedule, monitoring), each at
    its current version. The standard library is added the first time a clinic asks."""
    return selectors.get_protocols(request.user)


@router.post(
    "/protocols",
    response={201: ProtocolRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_PROTOCOLS),
)
def create_protocol_version(request, payload: ProtocolCreate):
    """Add a protocol, or a new version of an existing code that supersedes the active one.
    Inconsistent limits (default above the soft limit, soft limit above the ceiling, ...)
    answer 422 `invalid_protocol`."""
    data = payload.dict(exclude={"reason"})
    row = services.record_protocol_version(actor=request.user, data=data, reason=payload.reason)
    return Status(201, row)


@router.get(
    "/clinic-policy",
    response={200: ClinicPolicyRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def get_clinic_policy(request):
    """The clinic's active clinical settings (404 `not_found` until an admin saves them)."""
    from ketacare.access import NotFound

    row = selectors.get_clinic_policy(request.user)
    if row is None:
        raise NotFound("clinic policy")
    return row


@router.post(
    "/clinic-policy",
    response={201: ClinicPolicyRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_PROTOCOLS),
)
def save_clinic_policy(request, payload: ClinicPolicyCreate):
    """Save the clinic's clinical settings as a new version. Required values have no
    published source (weight age, plausible weights, syringe increment, SpO2 minimum, reading
    ages); the core refuses to dose until they are set."""
    values = payload.dict(exclude={"reason"})
    row = services.record_clinic_policy(actor=request.user, values=values, reason=payload.reason)
    return Status(201, row)
