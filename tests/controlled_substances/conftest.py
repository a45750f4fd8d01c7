"""A clinic A stock room: one 10 mL vial of ketamine 50 mg/mL (500 mg) received two hours
ago from a supplier with a well-formed DEA number, and one esketamine kit of 2 devices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ledger_helpers import receive


@pytest.fixture
def vial(nurse):
    return receive(nurse)[0]


@pytest.fixture
def kit(nurse):
    return receive(
        nurse,
        drug="esketamine",
        concentration_mg_per_ml=Decimal("140"),  # 28 mg / 0.2 mL (NDC 50458-028, S13)
        description="SPRAVATO 56 mg kit (2 devices)",
        size_ml=Decimal("0.4"),
        device_count=2,
        lot="ESK-77",
        ndc="50458-028-02",
    )[0]


@pytest.fixture
def session(prescriber, patient):
    """A scheduled esketamine session of ``patient`` (rows written directly: ordering's gates
    are the treatment app's and are tested there)."""
    from django.utils import timezone

    from ketacare.audit.models import service_write
    from ketacare.protocols.selectors import get_active_protocol_version
    from ketacare.protocols.services import ensure_standard_protocols
    from ketacare.treatment.models import Course, TreatmentSession

    ensure_standard_protocols(clinic=prescriber.clinic)
    version = get_active_protocol_version(prescriber.clinic_id, "in_esketamine_trd")
    now, common = timezone.now(), {"clinic": prescriber.clinic, "created_by": prescriber}
    with service_write():
        course = Course.objects.create(
            **common, created_at=now, patient=patient, protocol_version=version,
            protocol_code=version.code, route=version.route, drug=version.drug,
            start_at=now, planned_sessions=1,
        )  # fmt: skip
        return TreatmentSession.objects.create(
            **common, created_at=now, course=course, patient=patient, number=1,
            course_week=1, scheduled_at=now, updated_at=now,
        )  # fmt: skip
