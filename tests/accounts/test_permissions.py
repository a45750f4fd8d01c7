from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.accounts.models import Role
from ketacare.accounts.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    PermissionDenied,
    has_permission,
    require_permission,
)
from ketacare.accounts.services import create_user
from ketacare.clinical.errors import InvalidClinicalInput


def test_only_prescribers_may_order_treatment_or_override_gates():
    for role, perms in ROLE_PERMISSIONS.items():
        may_order = Permission.ORDER_TREATMENT in perms
        may_override = Permission.OVERRIDE_CLINICAL_GATE in perms
        assert may_order == (role == Role.PRESCRIBER)
        assert may_override == (role == Role.PRESCRIBER)


def test_researcher_cannot_view_identified_patients(researcher):
    assert not has_permission(researcher, Permission.VIEW_PATIENT)
    assert has_permission(researcher, Permission.EXPORT_DEIDENTIFIED)


def test_prescriber_with_expired_licence_cannot_override(prescriber):
    today = timezone.localdate()
    prescriber.license_expiry = today - timedelta(days=1)
    assert not has_permission(prescriber, Permission.OVERRIDE_CLINICAL_GATE, today=today)
    with pytest.raises(PermissionDenied) as err:
        require_permission(prescriber, Permission.OVERRIDE_CLINICAL_GATE)
    assert err.value.code == "licence_not_current"
    # Non-licensed work (reading the chart) continues.
    assert has_permission(prescriber, Permission.VIEW_PATIENT, today=today)


@pytest.mark.parametrize(
    ("expiry_offset_days", "allowed"),
    [(-1, False), (0, True), (1, True)],  # the licence is valid through its expiry date
)
def test_licence_expiry_boundary(prescriber, expiry_offset_days, allowed):
    today = timezone.localdate()
    prescriber.license_expiry = today + timedelta(days=expiry_offset_days)
    assert has_permission(prescriber, Permission.ORDER_TREATMENT, today=today) is allowed


def test_prescriber_account_needs_a_licence(clinic_a):
    with pytest.raises(InvalidClinicalInput) as err:
        create_user(
            actor=None,
            clinic=clinic_a,
            username="nolicence",
            password="x" * 12,
            role=Role.PRESCRIBER,
            validate=False,
        )
    assert err.value.code == "license_required"


def test_inactive_user_has_no_permissions(nurse):
    nurse.is_active = False
    assert not has_permission(nurse, Permission.VIEW_PATIENT)
