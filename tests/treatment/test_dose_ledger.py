"""Administering a dose from a named stock container moves the controlled-substance ledger
in the same transaction: both are written, or neither."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.clinical.errors import ClinicalError
from ketacare.controlled_substances import services as ledger
from ketacare.controlled_substances.models import LedgerEntry
from ketacare.treatment.models import DoseAdministration, TreatmentSession
from ketacare.treatment.services import administer_dose

VALID_DEA = "BB1388568"  # well-formed DEA number (check digit), as in the ledger tests


@pytest.fixture
def kit(nurse):
    return ledger.receive_stock(
        actor=nurse,
        drug="esketamine",
        concentration_mg_per_ml=Decimal("140"),  # 28 mg / 0.2 mL (NDC 50458-028, S13)
        description="SPRAVATO 56 mg kit (2 devices)",
        size_ml=Decimal("0.4"),
        device_count=2,
        lot="ESK-77",
        ndc="50458-028-02",
        expires_on=timezone.localdate() + timedelta(days=365),
        supplier_name="Cardinal Distribution",
        supplier_address="7000 Cardinal Pl, Dublin OH",
        supplier_dea_number=VALID_DEA,
        as_of=timezone.now() - timedelta(hours=2),
    )[0]


def _give(prescriber, session, kit, mg):
    n = int(mg) // 28
    start = timezone.now() - timedelta(minutes=5 * (n - 1))
    return administer_dose(
        actor=prescriber,
        session=session,
        dose_mg=Decimal(mg),
        device_times=[start + timedelta(minutes=5 * i) for i in range(n)],
        lot_number="ESK-77",
        container_id=kit.pk,
        pulse_oximeter_available=True,
    )


def test_dose_from_a_kit_records_the_dose_and_the_ledger_entry_together(
    esketamine_course, cleared, prescriber, kit
):
    session = cleared(esketamine_course.sessions[0])
    before = LedgerEntry.objects.count()
    dose = _give(prescriber, session, kit, "56")
    assert dose.container_id == kit.pk
    assert LedgerEntry.objects.count() > before


def test_a_ledger_refusal_rolls_the_dose_back(
    esketamine_course, cleared, prescriber, nurse, unchanged
):
    one_device = ledger.receive_stock(
        actor=nurse,
        drug="esketamine",
        concentration_mg_per_ml=Decimal("140"),
        description="SPRAVATO single device",
        size_ml=Decimal("0.2"),
        device_count=1,
        lot="ESK-78",
        expires_on=timezone.localdate() + timedelta(days=365),
        supplier_name="Cardinal Distribution",
        supplier_address="7000 Cardinal Pl, Dublin OH",
        supplier_dea_number=VALID_DEA,
        as_of=timezone.now() - timedelta(hours=2),
    )[0]
    session = cleared(esketamine_course.sessions[0])
    check = unchanged(DoseAdministration, LedgerEntry, TreatmentSession)
    with pytest.raises(ClinicalError):
        _give(prescriber, session, one_device, "56")  # 56 mg from a 28 mg container
    check()
    assert TreatmentSession.objects.get(pk=session.pk).state == "cleared"
