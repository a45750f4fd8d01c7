"""Helpers for the controlled-substance tests (imported by name; conftest holds fixtures)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from ketacare.controlled_substances import services

# Check digit (Oracle Siebel Pharma Handheld Guide, Table 28 worked example):
# 1+8+5 = 14; 2 x (3+8+6) = 34; 14+34 = 48 -> check digit 8.
VALID_DEA = "BB1388568"


def receive(actor, **overrides):
    data = {
        "drug": "racemic_ketamine",
        "concentration_mg_per_ml": Decimal("50"),
        "description": "10 mL multi-dose vial",
        "size_ml": Decimal("10"),
        "lot": "KET-2401",
        "expires_on": timezone.localdate() + timedelta(days=365),
        "supplier_name": "Cardinal Distribution",
        "supplier_address": "7000 Cardinal Pl, Dublin OH",
        "supplier_dea_number": VALID_DEA,
        "as_of": timezone.now() - timedelta(hours=2),
    }
    data.update(overrides)
    return services.receive_stock(actor=actor, **data)


def make_staff(clinic, role, username):
    from ketacare.accounts.services import create_user

    return create_user(
        actor=None,
        clinic=clinic,
        username=username,
        password=PASSWORD,
        role=role,
        validate=False,
    )


PASSWORD = "correct horse battery"  # the shared people fixtures' password
