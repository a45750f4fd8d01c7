from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from ledger_helpers import PASSWORD, VALID_DEA, make_staff, receive
from tests.support.registration import registered_long_ago

from ketacare.access import NotFound
from ketacare.accounts.models import Role
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditAction, AuditEntry, ImmutableRecordError, service_write
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.controlled_substances import services
from ketacare.controlled_substances.models import (
    EntryKind,
    LedgerEntry,
    StockContainer,
    Supplier,
)


def entries(container):
    return list(container.entries.order_by("sequence"))


def codes(exc_info):
    return [b.code for b in exc_info.value.decision.blockers]


# -- receipts -------------------------------------------------------------------------------


def test_receipt_records_supplier_container_and_a_receive_entry_with_the_full_balance(nurse):
    (container,) = receive(nurse)
    assert container.supplier.dea_number == VALID_DEA
    (entry,) = entries(container)
    assert entry.kind == EntryKind.RECEIVE
    assert entry.quantity_ml == Decimal("10")
    assert entry.quantity_mg == Decimal("500")  # 10 mL x 50 mg/mL
    assert entry.balance_after_ml == Decimal("10")
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, target_type="controlled_substances.StockContainer"
    ).exists()


def test_receiving_several_containers_gives_each_its_own_receipt_and_one_supplier(nurse):
    containers = receive(nurse, container_count=3)
    assert len(containers) == 3
    assert Supplier.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVE).count() == 3


def test_expired_lot_is_refused_at_receipt_and_nothing_is_written(nurse, unchanged):
    check = unchanged(StockContainer, LedgerEntry, Supplier)
    with pytest.raises(GateBlocked) as exc:
        receive(nurse, expires_on=timezone.localdate() - timedelta(days=1), as_of=None)
    assert codes(exc) == ["lot_expired"]
    check()


@pytest.mark.parametrize("dea", ["BB1388567", "BB138856", "1B1388568", "bb1388568x"])
def test_supplier_dea_number_with_bad_format_or_check_digit_is_invalid_input(nurse, unchanged, dea):
    check = unchanged(StockContainer, LedgerEntry, Supplier)
    with pytest.raises(InvalidClinicalInput) as exc:
        receive(nurse, supplier_dea_number=dea)
    assert exc.value.code == "invalid_dea_number"
    check()


def test_esketamine_kit_volume_must_match_its_devices(nurse, unchanged):
    check = unchanged(StockContainer, LedgerEntry)
    with pytest.raises(InvalidClinicalInput) as exc:
        # 2 devices x 28 mg at 140 mg/mL = 0.4 mL, not 0.5 mL
        receive(
            nurse,
            drug="esketamine",
            concentration_mg_per_ml=Decimal("140"),
            size_ml=Decimal("0.5"),
            device_count=2,
        )
    assert exc.value.code == "device_volume_mismatch"
    check()


def test_front_desk_cannot_receive_stock(frontdesk):
    with pytest.raises(PermissionDenied):
        receive(frontdesk)


# -- draws and administrations --------------------------------------------------------------


def test_drawing_more_than_is_in_stock_is_refused_and_nothing_is_written(nurse, vial, unchanged):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        services.draw_for_session(actor=nurse, container_id=vial.pk, quantity_ml=Decimal("10.001"))
    assert codes(exc) == ["balance_would_go_negative"]
    check()


# Expiry boundary (core ledger.check_entry, 21 CFR 1304.21 record): a lot may be used ON its
# expiry date and is refused from the following day (dates in clinic local time).
@pytest.mark.parametrize(
    ("expires_in_days", "allowed"),
    [(-1, False), (0, True), (1, True)],
    ids=["expired-yesterday", "expires-today", "expires-tomorrow"],
)
def test_expiry_boundary_for_drawing(nurse, expires_in_days, allowed):
    today = timezone.localdate()
    (container,) = receive(
        nurse, expires_on=today + timedelta(days=expires_in_days + 1), lot="EDGE"
    )
    # Received while in date; drawn one day later so the boundary falls on the draw.
    as_of = timezone.now() + timedelta(days=1)
    with time_travel(as_of):
        if allowed:
            entry = services.draw_for_session(
                actor=nurse, container_id=container.pk, quantity_ml=Decimal("1"), as_of=as_of
            )
            assert entry.balance_after_ml == Decimal("9")
        else:
            with pytest.raises(GateBlocked) as exc:
                services.draw_for_session(
                    actor=nurse, container_id=container.pk, quantity_ml=Decimal("1"), as_of=as_of
                )
            assert codes(exc) == ["lot_expired"]


def time_travel(when):
    import time_machine

    return time_machine.travel(when + timedelta(seconds=1), tick=False)


def test_administration_uses_drug_already_drawn_and_residue_is_wasted_with_a_witness(
    nurse, prescriber, patient, vial, session
):
    services.draw_for_session(
        actor=nurse,
        container_id=vial.pk,
        quantity_ml=Decimal("1"),
        patient=patient,
        session_id=session.pk,
    )
    given = services.record_administration_from_stock(
        actor=nurse,
        container_id=vial.pk,
        dose_mg=Decimal("35"),  # 35 mg / 50 mg/mL = 0.7 mL from the 1 mL drawn
        patient=patient,
        session_id=session.pk,
        as_of=None,
    )
    assert given.kind == EntryKind.ADMINISTER
    assert given.quantity_ml == Decimal("0.7")
    assert given.session_id == session.pk
    assert given.patient_id == patient.pk
    assert (given.balance_after_ml, given.drawn_after_ml) == (Decimal("9"), Decimal("0.3"))
    waste = services.witness_waste(
        actor=nurse,
        container_id=vial.pk,
        quantity_ml=Decimal("0.3"),
        witness_id=prescriber.pk,
        witness_password=PASSWORD,
        patient=patient,
        session_id=session.pk,
    )
    assert waste.witness_id == prescriber.pk
    assert (waste.balance_after_ml, waste.drawn_after_ml) == (Decimal("9"), Decimal("0"))
    assert [e.kind for e in entries(vial)] == ["receive", "draw", "administer", "waste"]


def test_administration_without_a_prior_draw_records_the_draw_then_the_dose(nurse, patient, vial):
    services.record_administration_from_stock(
        actor=nurse,
        container_id=vial.pk,
        dose_mg=Decimal("40"),
        patient=patient,
        session_id=None,
        as_of=None,
    )
    kinds = [(e.kind, e.quantity_ml) for e in entries(vial)]
    assert kinds == [("receive", 10), ("draw", Decimal("0.8")), ("administer", Decimal("0.8"))]


def test_dose_beyond_the_container_is_refused_and_not_even_the_draw_is_kept(
    nurse, patient, vial, unchanged
):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        services.record_administration_from_stock(
            actor=nurse,
            container_id=vial.pk,
            dose_mg=Decimal("550"),  # 11 mL from a 10 mL vial
            patient=patient,
            session_id=None,
            as_of=None,
        )
    assert codes(exc) == ["balance_would_go_negative"]
    check()


def test_esketamine_is_given_in_whole_devices(nurse, patient, kit, unchanged):
    entry = services.record_administration_from_stock(
        actor=nurse,
        container_id=kit.pk,
        dose_mg=Decimal("28"),
        patient=patient,
        session_id=None,
        as_of=None,
    )
    assert entry.quantity_ml == Decimal("0.2")  # one device
    check = unchanged(LedgerEntry)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.draw_for_session(actor=nurse, container_id=kit.pk, quantity_ml=Decimal("0.1"))
    assert exc.value.code == "esketamine_whole_devices"
    check()


def test_other_clinics_container_is_not_found(outsider, vial, patient):
    with pytest.raises(NotFound):
        services.draw_for_session(actor=outsider, container_id=vial.pk, quantity_ml=Decimal("1"))


# -- witnessed waste ------------------------------------------------------------------------


@pytest.fixture
def drawn(nurse, vial):
    services.draw_for_session(actor=nurse, container_id=vial.pk, quantity_ml=Decimal("1"))
    return vial


def _waste(actor, container, **kwargs):
    data = {"quantity_ml": Decimal("0.5"), "witness_password": PASSWORD}
    data.update(kwargs)
    return services.witness_waste(actor=actor, container_id=container.pk, **data)


def test_waste_without_a_witness_is_refused_and_nothing_is_written(nurse, drawn, unchanged):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        _waste(nurse, drawn, witness_id=None)
    assert codes(exc) == ["waste_witness_required"]
    check()


def test_the_person_wasting_cannot_be_their_own_witness(nurse, drawn, unchanged):
    check = unchanged(LedgerEntry)
    with pytest.raises(InvalidClinicalInput) as exc:
        _waste(nurse, drawn, witness_id=nurse.pk)
    assert exc.value.code == "witness_same_as_actor"
    check()


def test_an_unlicensed_role_cannot_witness_waste(nurse, therapist, drawn, unchanged):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        _waste(nurse, drawn, witness_id=therapist.pk)
    assert codes(exc) == ["witness_not_licensed"]
    check()


def test_a_witness_from_another_clinic_is_not_eligible(nurse, outsider, drawn, unchanged):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        _waste(nurse, drawn, witness_id=outsider.pk)
    assert codes(exc) == ["witness_not_eligible"]
    check()


def test_wrong_witness_password_is_refused_and_logged_against_the_witness(
    nurse, prescriber, drawn, unchanged
):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        _waste(nurse, drawn, witness_id=prescriber.pk, witness_password="wrong")
    assert codes(exc) == ["witness_not_verified"]
    check()
    refused = AuditEntry.objects.get(action=AuditAction.REFUSED, target_id=str(prescriber.pk))
    assert refused.summary == services.WITNESS_FAILURE_SUMMARY


def test_witness_is_locked_out_after_repeated_wrong_passwords(nurse, prescriber, drawn):
    for _ in range(services.WITNESS_MAX_FAILURES):
        with pytest.raises(GateBlocked):
            _waste(nurse, drawn, witness_id=prescriber.pk, witness_password="wrong")
    with pytest.raises(GateBlocked) as exc:
        _waste(nurse, drawn, witness_id=prescriber.pk)  # now the right password
    assert codes(exc) == ["witness_locked"]


def test_a_second_nurse_can_witness(nurse, clinic_a, drawn):
    second = make_staff(clinic_a, Role.NURSE, "nurse_two")
    entry = _waste(nurse, drawn, witness_id=second.pk)
    assert entry.witness_id == second.pk


def test_clinic_may_switch_the_waste_witness_off(nurse, clinic_admin, drawn):
    services.record_ledger_settings(
        actor=clinic_admin,
        inventory_interval_years=2,
        waste_witness_required=False,
        count_tolerance_ml=Decimal(0),
    )
    entry = _waste(nurse, drawn, witness_id=None)
    assert entry.witness_id is None


def test_wasting_more_than_is_drawn_up_is_refused(nurse, prescriber, drawn, unchanged):
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        _waste(nurse, drawn, witness_id=prescriber.pk, quantity_ml=Decimal("1.5"))
    assert codes(exc) == ["balance_would_go_negative"]
    check()


# -- returns and corrections ----------------------------------------------------------------


def test_expired_lot_can_be_returned_in_full(nurse):
    (container,) = receive(
        nurse,
        expires_on=timezone.localdate(),
        as_of=timezone.now() - timedelta(days=2),
    )
    # The lot expires today; tomorrow it may still be returned, never drawn.
    with time_travel(timezone.now() + timedelta(days=1)):
        entry = services.return_stock(
            actor=nurse, container_id=container.pk, reason="Expired: to reverse distributor"
        )
    assert (entry.kind, entry.quantity_ml, entry.balance_after_ml) == ("return", 10, 0)


def test_returning_an_empty_container_is_refused(nurse, vial):
    services.return_stock(actor=nurse, container_id=vial.pk, reason="Recall")
    with pytest.raises(GateBlocked) as exc:
        services.return_stock(actor=nurse, container_id=vial.pk, reason="Recall")
    assert codes(exc) == ["container_empty"]


def test_correction_is_a_new_entry_naming_the_one_it_corrects(nurse, vial):
    draw = services.draw_for_session(actor=nurse, container_id=vial.pk, quantity_ml=Decimal("2"))
    fix = services.record_correction(
        actor=nurse, entry_id=draw.pk, quantity_ml=Decimal("0.5"), reason="Drew 1.5 mL, not 2"
    )
    assert fix.kind == EntryKind.COUNT_ADJUSTMENT
    assert fix.corrects_id == draw.pk
    assert fix.balance_after_ml == Decimal("8.5")
    draw.refresh_from_db()
    assert draw.quantity_ml == Decimal("2")  # the original stands


def test_correction_that_would_make_stock_negative_is_refused(nurse, vial, unchanged):
    receipt = entries(vial)[0]
    check = unchanged(LedgerEntry)
    with pytest.raises(GateBlocked) as exc:
        services.record_correction(
            actor=nurse, entry_id=receipt.pk, quantity_ml=Decimal("-11"), reason="typo"
        )
    assert codes(exc) == ["balance_would_go_negative"]
    check()


# -- the database's own guarantees ----------------------------------------------------------


def _raw_entry(container, **overrides):
    last = entries(container)[-1]
    data = {
        "clinic_id": container.clinic_id,
        "created_at": timezone.now(),
        "created_by_id": last.created_by_id,
        "container": container,
        "sequence": last.sequence + 1,
        "kind": EntryKind.RETURN,
        "occurred_at": timezone.now(),
        "quantity_ml": Decimal("11"),
        "quantity_mg": Decimal("550"),
        "balance_after_ml": Decimal("-1"),
        "drawn_after_ml": Decimal("0"),
    }
    data.update(overrides)
    return LedgerEntry(**data)


def test_database_refuses_a_negative_balance_even_if_a_service_got_it_wrong(vial):
    with pytest.raises(IntegrityError), transaction.atomic(), service_write():
        _raw_entry(vial).save(force_insert=True)


def test_database_refuses_two_entries_with_the_same_sequence(vial):
    with pytest.raises(IntegrityError), transaction.atomic(), service_write():
        _raw_entry(vial, sequence=1, balance_after_ml=Decimal("0")).save(force_insert=True)


def test_ledger_entries_cannot_be_edited_or_deleted(vial):
    entry = entries(vial)[0]
    entry.quantity_ml = Decimal("5")
    with pytest.raises(ImmutableRecordError):
        entry.save()
    with pytest.raises(ImmutableRecordError):
        entry.delete()
    with pytest.raises(ImmutableRecordError):
        LedgerEntry.objects.filter(pk=entry.pk).update(quantity_ml=Decimal("5"))


def test_session_of_another_patient_is_refused(nurse, clinic_a, vial, session, unchanged):
    from ketacare.patients.services import register_patient

    other = register_patient(
        as_of=registered_long_ago(),
        actor=session.created_by,
        given_name="Blake",
        family_name="Brown",
        date_of_birth=session.patient.date_of_birth,
        sex="male",
    )
    check = unchanged(LedgerEntry)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_administration_from_stock(
            actor=nurse, container_id=vial.pk, dose_mg=Decimal("35"), patient=other,
            session_id=session.pk, as_of=None,
        )  # fmt: skip
    assert exc.value.code == "session_patient_mismatch"
    check()
