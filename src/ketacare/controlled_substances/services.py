"""Writes to the controlled-substance ledger. Each is atomic, authorised and audited in the
same transaction; a refusal (gate, 409) or bad input (422) writes nothing.

Every movement follows one path (``_append_entry``): lock the container row
(``select_for_update``; on SQLite the IMMEDIATE transaction already serialises writers),
replay its recorded entries through the pure core to get the balance, ask the core whether
the new entry may be written (negative balance, expired lot, missing waste witness: none of
these can be overridden), then insert the entry with the next per-container sequence number
and the balance after it. The database refuses a negative balance and a duplicate sequence,
so even a writer that skipped the lock could not overdraw a container.

Waste witness authentication: the request names the witness's user id and carries the
witness's own password, entered by the witness at the point of waste; it is checked with
Django's ``check_password``. A wrong password is refused (409 ``witness_not_verified``) and
logged as a refused action against the witness's account; after
``WITNESS_MAX_FAILURES`` failures within ``WITNESS_LOCKOUT`` the witness is refused
(``witness_locked``) without checking the password until the window passes.

Deliberately NOT done: federal holidays are not skipped in DEA deadlines (core); whether a
discrepancy is theft or significant loss is the registrant's judgment, recorded by
``classify_discrepancy``, never inferred.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, has_permission, require_permission
from ketacare.accounts.second_factor import (
    require_recent_second_factor,
    require_witness_second_factor,
)
from ketacare.audit.models import AuditAction, AuditEntry
from ketacare.audit.services import record_refused, record_write
from ketacare.clinical.controlled import ledger as core
from ketacare.clinical.controlled.references import CFR_1304_21, DEA_THEFT_LOSS_RULE_2023
from ketacare.clinical.dosing.protocols import ESKETAMINE_DEVICE_MG
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.controlled_substances import mappers
from ketacare.controlled_substances.dea import dea_number_problem
from ketacare.controlled_substances.models import (
    BusinessTime,
    Discrepancy,
    DiscrepancyClassification,
    DiscrepancyStatus,
    Drug,
    EntryKind,
    InventoryCount,
    InventoryCountLine,
    LedgerEntry,
    LedgerSettings,
    StockContainer,
    Supplier,
)
from ketacare.patients.models import Patient
from ketacare.records import save_validated, validation_to_clinical
from ketacare.treatment.models import TreatmentSession

# Account protection for witness password re-entry (a security setting, not a clinical
# rule): the same numbers the sign-in lockout uses are a reasonable default.
WITNESS_MAX_FAILURES = 5
WITNESS_LOCKOUT = timedelta(minutes=15)
WITNESS_FAILURE_SUMMARY = "waste witness password not verified"

_ML = Decimal("0.001")
F = TypeVar("F", bound=Callable[..., Any])


# -- shared steps ---------------------------------------------------------------------------


def _when(as_of: datetime | None) -> datetime:
    """The movement's time in clinic local time (expiry and deadlines are local dates)."""
    now = timezone.now()
    if as_of is None:
        return timezone.localtime(now)
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidClinicalInput("naive_datetime", "Times must carry a timezone.")
    if as_of > now:
        raise InvalidClinicalInput(
            "date_in_future", "A ledger entry cannot be dated in the future."
        )
    return timezone.localtime(as_of)


def _locked_container(actor: User, container_id: int) -> StockContainer:
    container = (
        StockContainer.objects.select_for_update()
        .filter(pk=container_id, clinic_id=actor.clinic_id)
        .first()
    )
    if container is None:
        raise NotFound("stock container")
    return container


def _session_and_patient(
    actor: User, session_id: int | None, patient: Patient | None
) -> tuple[TreatmentSession | None, Patient | None]:
    """The clinic's session and patient named by an entry; they must agree."""
    if patient is not None and patient.clinic_id != actor.clinic_id:
        raise NotFound("patient")
    if session_id is None:
        return None, patient
    session = (
        TreatmentSession.objects.filter(pk=session_id, clinic_id=actor.clinic_id)
        .select_related("patient")
        .first()
    )
    if session is None:
        raise NotFound("session")
    if patient is not None and session.patient_id != patient.pk:
        raise InvalidClinicalInput(
            "session_patient_mismatch", "The session belongs to a different patient."
        )
    return session, session.patient


def _positive_ml(value: Decimal, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise InvalidClinicalInput("invalid_quantity", f"{field} must be more than 0 mL.")
    if value != value.quantize(_ML):
        raise InvalidClinicalInput(
            "invalid_quantity", f"{field} is measured to 0.001 mL at most.", {"field": field}
        )
    return value


def _append_entry(
    *,
    actor: User,
    container: StockContainer,
    kind: EntryKind,
    quantity_ml: Decimal,
    as_of: datetime | None,
    policy: core.LedgerPolicy,
    witness: User | None = None,
    patient: Patient | None = None,
    session: TreatmentSession | None = None,
    dose_mg: Decimal | None = None,
    reason: str = "",
    corrects: LedgerEntry | None = None,
    count_line: InventoryCountLine | None = None,
    extra_blockers: tuple[Finding, ...] = (),
    claimed_witness_id: int | None = None,
) -> LedgerEntry:
    """The one path for every movement of stock that is already in the ledger. The caller
    has locked ``container``; the time is taken after the lock so entries stay in order."""
    rows = list(container.entries.order_by("sequence"))
    state = mappers.core_balance(container, rows)
    when = _when(as_of)
    entry = core.LedgerEntry(
        entry_id="new",
        kind=mappers.KIND_TO_CORE[kind],
        container_id=str(container.pk),
        occurred_at=when,
        quantity_ml=quantity_ml,
        actor_id=str(actor.pk),
        # A named but refused witness is reported by its own blocker, not as "no witness".
        witness_id=str(witness.pk) if witness else (claimed_witness_id and str(claimed_witness_id)),
        reason=reason or None,
    )
    decision = core.check_entry(entry, state, as_of=when, policy=policy)
    decision.merge(GateDecision(blockers=extra_blockers)).enforce()
    after = core.apply(entry, state, as_of=when, policy=policy).get(str(container.pk))
    assert after is not None
    row = LedgerEntry(
        clinic_id=container.clinic_id,
        created_at=timezone.now(),
        created_by=actor,
        container=container,
        sequence=len(rows) + 1,
        kind=kind,
        occurred_at=when,
        quantity_ml=quantity_ml,
        quantity_mg=quantity_ml * container.concentration_mg_per_ml,
        balance_after_ml=after.stock_ml,
        drawn_after_ml=after.drawn_ml,
        witness=witness,
        patient=patient,
        session=session,
        dose_mg=dose_mg,
        reason=reason,
        corrects=corrects,
        count_line=count_line,
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=patient.pk if patient else None,
        after={
            "kind": kind,
            "container": container.pk,
            "quantity_ml": quantity_ml,
            "balance_after_ml": after.stock_ml,
            "drawn_after_ml": after.drawn_ml,
            "witness": witness.pk if witness else None,
            "session": session.pk if session else None,
            "corrects": corrects.pk if corrects else None,
        },
        reason=reason,
        summary=f"controlled-substance ledger: {kind}",
    )
    return row


def _logs_refusals(fn: F) -> F:
    """Keep a "refused" audit entry for a blocked ledger write. It is written after the
    write's own transaction has rolled back, so the refusal is kept and nothing else is."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GateBlocked as exc:
            codes = list(exc.decision.codes)
            witness_id = kwargs.get("witness_id")
            if "witness_not_verified" in codes and witness_id:
                target: Any = ("accounts.User", witness_id)
                summary = WITNESS_FAILURE_SUMMARY
            else:
                target = ("controlled_substances.StockContainer", kwargs.get("container_id", ""))
                summary = f"controlled-substance ledger: {fn.__name__} refused"
            record_refused(
                actor=kwargs["actor"], target=target, patient_id=None, codes=codes, summary=summary
            )
            raise

    return wrapper  # type: ignore[return-value]


# -- receipts ---------------------------------------------------------------------------------


def _supplier(actor: User, name: str, address: str, dea_number: str, now: datetime) -> Supplier:
    dea = dea_number.strip().upper()
    problem = dea_number_problem(dea)
    if problem:
        raise InvalidClinicalInput("invalid_dea_number", problem, {"field": "supplier_dea_number"})
    found = Supplier.objects.filter(
        clinic_id=actor.clinic_id, dea_number=dea, name=name.strip(), address=address.strip()
    ).first()
    if found is not None:
        return found
    supplier = Supplier(
        clinic_id=actor.clinic_id,
        created_at=now,
        created_by=actor,
        name=name.strip(),
        address=address.strip(),
        dea_number=dea,
    )
    save_validated(supplier)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=supplier,
        after={"name": supplier.name, "address": supplier.address, "dea_number": dea},
        summary="controlled-substance supplier recorded",
    )
    return supplier


def _check_container_shape(
    drug: str, concentration_mg_per_ml: Decimal, size_ml: Decimal, device_count: int | None
) -> None:
    if concentration_mg_per_ml <= 0:
        raise InvalidClinicalInput("invalid_concentration", "The concentration must be above 0.")
    _positive_ml(size_ml, "The container size")
    if drug == Drug.ESKETAMINE:
        if not device_count or device_count < 1:
            raise InvalidClinicalInput(
                "device_count_required", "An esketamine kit records how many devices it holds."
            )
        # Each device holds 28 mg (S3, S13): the kit's volume follows from its concentration.
        expected = device_count * ESKETAMINE_DEVICE_MG / concentration_mg_per_ml
        if size_ml != expected:
            raise InvalidClinicalInput(
                "device_volume_mismatch",
                f"{device_count} devices of {ESKETAMINE_DEVICE_MG} mg at "
                f"{concentration_mg_per_ml} mg/mL hold {expected.normalize()} mL, "
                f"not {size_ml} mL.",
                {"expected_size_ml": str(expected)},
            )
    elif device_count is not None:
        raise InvalidClinicalInput(
            "device_count_not_applicable", "Only esketamine kits record a device count."
        )


@_logs_refusals
@transaction.atomic
def receive_stock(
    *,
    actor: User,
    drug: str,
    concentration_mg_per_ml: Decimal,
    description: str,
    size_ml: Decimal,
    lot: str,
    expires_on: date,
    supplier_name: str,
    supplier_address: str,
    supplier_dea_number: str,
    container_count: int = 1,
    device_count: int | None = None,
    ndc: str = "",
    as_of: datetime | None = None,
) -> list[StockContainer]:
    """Record ``container_count`` identical containers received from one supplier; each
    container gets its own receipt entry. Refuses an expired lot (409)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    if drug not in Drug.values:
        raise InvalidClinicalInput("unknown_drug", "The drug is racemic ketamine or esketamine.")
    if not 1 <= container_count <= 200:
        raise InvalidClinicalInput("invalid_count", "Receive between 1 and 200 containers.")
    _check_container_shape(drug, concentration_mg_per_ml, size_ml, device_count)
    when = _when(as_of)
    policy = mappers.ledger_policy_for(actor.clinic_id)
    probe = core.LedgerEntry(
        entry_id="new",
        kind=core.EntryKind.RECEIVE,
        container_id="new",
        occurred_at=when,
        quantity_ml=size_ml,
        actor_id=str(actor.pk),
        drug=drug,
        lot=lot.strip() or None,
        concentration_mg_per_ml=concentration_mg_per_ml,
        expires_on=expires_on,
    )
    core.check_entry(probe, core.LedgerBalance(), as_of=when, policy=policy).enforce()
    supplier = _supplier(actor, supplier_name, supplier_address, supplier_dea_number, when)
    containers = []
    for _ in range(container_count):
        container = StockContainer(
            clinic_id=actor.clinic_id,
            created_at=timezone.now(),
            created_by=actor,
            drug=drug,
            concentration_mg_per_ml=concentration_mg_per_ml,
            description=description.strip(),
            size_ml=size_ml,
            device_count=device_count,
            lot=lot.strip(),
            expires_on=expires_on,
            ndc=ndc.strip(),
            received_at=when,
            supplier=supplier,
        )
        save_validated(container)
        row = LedgerEntry(
            clinic_id=actor.clinic_id,
            created_at=timezone.now(),
            created_by=actor,
            container=container,
            sequence=1,
            kind=EntryKind.RECEIVE,
            occurred_at=when,
            quantity_ml=size_ml,
            quantity_mg=size_ml * concentration_mg_per_ml,
            balance_after_ml=size_ml,
            drawn_after_ml=Decimal(0),
        )
        save_validated(row)
        record_write(
            actor=actor,
            action=AuditAction.CREATE,
            target=container,
            after={
                "drug": drug,
                "concentration_mg_per_ml": concentration_mg_per_ml,
                "size_ml": size_ml,
                "device_count": device_count,
                "lot": container.lot,
                "expires_on": expires_on,
                "supplier": supplier.pk,
                "receipt_entry": row.pk,
            },
            summary="controlled substance received",
        )
        containers.append(container)
    return containers


# -- movements --------------------------------------------------------------------------------


@_logs_refusals
@transaction.atomic
def draw_for_session(
    *,
    actor: User,
    container_id: int,
    quantity_ml: Decimal,
    patient: Patient | None = None,
    session_id: int | None = None,
    as_of: datetime | None = None,
) -> LedgerEntry:
    """Draw drug from a container into a syringe (or take esketamine devices out of the kit)
    for a session. Refuses more than is in stock and an expired lot (409)."""
    require_permission(actor, Permission.ADMINISTER_DOSE)
    _positive_ml(quantity_ml, "The quantity drawn")
    session, patient = _session_and_patient(actor, session_id, patient)
    container = _locked_container(actor, container_id)
    _whole_devices(container, quantity_ml)
    return _append_entry(
        actor=actor,
        container=container,
        kind=EntryKind.DRAW,
        quantity_ml=quantity_ml,
        as_of=as_of,
        policy=mappers.ledger_policy_for(actor.clinic_id),
        patient=patient,
        session=session,
    )


def _whole_devices(container: StockContainer, quantity_ml: Decimal) -> None:
    if container.drug != Drug.ESKETAMINE:
        return
    device_ml = ESKETAMINE_DEVICE_MG / container.concentration_mg_per_ml
    if quantity_ml % device_ml != 0:
        raise InvalidClinicalInput(
            "esketamine_whole_devices",
            f"Esketamine moves in whole devices of {device_ml.normalize()} mL "
            f"({ESKETAMINE_DEVICE_MG} mg).",
        )


def dose_volume_ml(container: StockContainer, dose_mg: Decimal) -> Decimal:
    """The volume of ``dose_mg`` from this container, exact to 0.001 mL, or 422."""
    if not isinstance(dose_mg, Decimal) or not dose_mg.is_finite() or dose_mg <= 0:
        raise InvalidClinicalInput("invalid_dose", "The dose must be more than 0 mg.")
    volume = (dose_mg / container.concentration_mg_per_ml).quantize(_ML)
    if volume * container.concentration_mg_per_ml != dose_mg:
        raise InvalidClinicalInput(
            "dose_not_measurable",
            f"{dose_mg} mg is not a whole number of 0.001 mL at "
            f"{container.concentration_mg_per_ml} mg/mL.",
        )
    return volume


@transaction.atomic
def record_administration_from_stock(
    *,
    actor: User,
    container_id: int,
    dose_mg: Decimal,
    patient: Patient,
    session_id: int | None,
    as_of: datetime | None,
) -> LedgerEntry:
    """Record a dose given to ``patient`` from a container, linked to the session.

    Uses drug already drawn up from this container first and draws the shortfall from stock
    (a draw entry, then the administration). The treatment app calls it inside its own
    transaction (this joins it) with the dose it has just recorded, so the dose record and
    the ledger commit or roll back together; ``as_of`` is when the dose was recorded
    (``None``: now). Refuses a dose the container cannot cover or an expired lot (409)."""
    require_permission(actor, Permission.ADMINISTER_DOSE)
    session, patient = _session_and_patient(actor, session_id, patient)
    container = _locked_container(actor, container_id)
    volume = dose_volume_ml(container, dose_mg)
    _whole_devices(container, volume)
    policy = mappers.ledger_policy_for(actor.clinic_id)
    last = container.entries.order_by("-sequence").first()
    drawn = last.drawn_after_ml if last else Decimal(0)
    if drawn < volume:
        _append_entry(
            actor=actor,
            container=container,
            kind=EntryKind.DRAW,
            quantity_ml=volume - drawn,
            as_of=as_of,
            policy=policy,
            patient=patient,
            session=session,
        )
    return _append_entry(
        actor=actor,
        container=container,
        kind=EntryKind.ADMINISTER,
        quantity_ml=volume,
        as_of=as_of,
        policy=policy,
        patient=patient,
        session=session,
        dose_mg=dose_mg,
    )


def _witness_blockers(
    actor: User, witness_id: int | None, password: str, otp: str = ""
) -> tuple[User | None, tuple[Finding, ...]]:
    if witness_id is None:
        return None, ()  # the core decides whether a witness is required
    if witness_id == actor.pk:
        raise InvalidClinicalInput(
            "witness_same_as_actor",
            "The witness must be a different person from the one making the entry.",
            {"field": "witness_id"},
        )
    witness = User.objects.filter(pk=witness_id, clinic_id=actor.clinic_id, is_active=True).first()
    if witness is None:
        return None, (
            Finding(
                "witness_not_eligible",
                "The named witness is not an active staff member of this clinic.",
                overridable=False,
            ),
        )
    if not has_permission(witness, Permission.WITNESS_WASTE):
        return None, (
            Finding(
                "witness_not_licensed",
                "The witness must be a licensed prescriber or nurse of this clinic.",
                overridable=False,
            ),
        )
    since = timezone.now() - WITNESS_LOCKOUT
    failures = AuditEntry.objects.filter(
        action=AuditAction.REFUSED,
        target_type="accounts.User",
        target_id=str(witness.pk),
        summary=WITNESS_FAILURE_SUMMARY,
        occurred_at__gte=since,
    ).count()
    if failures >= WITNESS_MAX_FAILURES:
        return None, (
            Finding(
                "witness_locked",
                "Too many wrong witness passwords; this witness can confirm waste again "
                f"after {int(WITNESS_LOCKOUT.total_seconds() // 60)} minutes.",
                overridable=False,
            ),
        )
    if not password or not witness.check_password(password):
        return None, (
            Finding(
                "witness_not_verified",
                "The witness's password was not confirmed; the witness must enter it.",
                overridable=False,
            ),
        )
    # Issue 14: a witness with a second factor confirms with a fresh code when their last
    # one is older than the clinic's step-up limit. A wrong code counts as not verified.
    if not require_witness_second_factor(witness, otp):
        return None, (
            Finding(
                "witness_not_verified" if otp else "witness_second_factor_required",
                "The witness's one-time code was not confirmed; the witness enters the code "
                "their authenticator app shows now.",
                overridable=False,
            ),
        )
    return witness, ()


@_logs_refusals
@transaction.atomic
def witness_waste(
    *,
    actor: User,
    container_id: int,
    quantity_ml: Decimal,
    witness_id: int | None,
    witness_password: str = "",
    witness_otp: str = "",
    reason: str = "",
    patient: Patient | None = None,
    session_id: int | None = None,
    as_of: datetime | None = None,
) -> LedgerEntry:
    """Waste drawn drug (residue after a dose) with a second licensed person present, who
    confirms with their own password. Refuses a missing, ineligible or unverified witness
    and more than is drawn up (409); the actor as witness is invalid input (422)."""
    require_permission(actor, Permission.WITNESS_WASTE)
    _positive_ml(quantity_ml, "The quantity wasted")
    session, patient = _session_and_patient(actor, session_id, patient)
    container = _locked_container(actor, container_id)
    witness, blockers = _witness_blockers(actor, witness_id, witness_password, witness_otp)
    return _append_entry(
        actor=actor,
        container=container,
        kind=EntryKind.WASTE,
        quantity_ml=quantity_ml,
        as_of=as_of,
        policy=mappers.ledger_policy_for(actor.clinic_id),
        witness=witness,
        patient=patient,
        session=session,
        reason=reason.strip(),
        extra_blockers=blockers,
        claimed_witness_id=witness_id,
    )


@_logs_refusals
@transaction.atomic
def return_stock(
    *,
    actor: User,
    container_id: int,
    reason: str,
    quantity_ml: Decimal | None = None,
    as_of: datetime | None = None,
) -> LedgerEntry:
    """Return stock to the supplier or a reverse distributor (all that is left, unless a
    quantity is given). Expired lots may be returned."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    if not reason.strip():
        raise InvalidClinicalInput(
            "return_reason_required", "Say to whom and why the stock is returned."
        )
    container = _locked_container(actor, container_id)
    if quantity_ml is None:
        last = container.entries.order_by("-sequence").first()
        quantity_ml = last.balance_after_ml if last else Decimal(0)
        if quantity_ml <= 0:
            raise GateBlocked(
                GateDecision(
                    blockers=(
                        Finding(
                            "container_empty",
                            "This container has nothing left in stock to return.",
                            CFR_1304_21,
                            overridable=False,
                        ),
                    )
                )
            )
    _positive_ml(quantity_ml, "The quantity returned")
    return _append_entry(
        actor=actor,
        container=container,
        kind=EntryKind.RETURN,
        quantity_ml=quantity_ml,
        as_of=as_of,
        policy=mappers.ledger_policy_for(actor.clinic_id),
        reason=reason.strip(),
    )


@_logs_refusals
@transaction.atomic
def record_correction(
    *,
    actor: User,
    entry_id: int,
    quantity_ml: Decimal,
    reason: str,
    as_of: datetime | None = None,
) -> LedgerEntry:
    """Correct a recorded entry with a new, signed stock adjustment that names it (entries
    are never edited). Refuses a correction that would make the stock negative (409)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    if not reason.strip():
        raise InvalidClinicalInput(
            "adjustment_reason_required", "A correction needs a written reason."
        )
    target = LedgerEntry.objects.filter(pk=entry_id, clinic_id=actor.clinic_id).first()
    if target is None:
        raise NotFound("ledger entry")
    if quantity_ml == 0 or quantity_ml != quantity_ml.quantize(_ML):
        raise InvalidClinicalInput(
            "invalid_quantity", "A correction changes the stock by a non-zero 0.001 mL amount."
        )
    container = _locked_container(actor, target.container_id)
    return _append_entry(
        actor=actor,
        container=container,
        kind=EntryKind.COUNT_ADJUSTMENT,
        quantity_ml=quantity_ml,
        as_of=as_of,
        policy=mappers.ledger_policy_for(actor.clinic_id),
        reason=reason.strip(),
        corrects=target,
    )


# -- counts and discrepancies -----------------------------------------------------------------


def _count_witness(actor: User, witness_id: int | None) -> User | None:
    if witness_id is None:
        return None
    if witness_id == actor.pk:
        raise InvalidClinicalInput(
            "witness_same_as_actor",
            "The count witness must be a different person from the one counting.",
            {"field": "witness_id"},
        )
    witness = User.objects.filter(pk=witness_id, clinic_id=actor.clinic_id, is_active=True).first()
    if witness is None or not (
        has_permission(witness, Permission.MANAGE_INVENTORY)
        or has_permission(witness, Permission.WITNESS_WASTE)
    ):
        raise InvalidClinicalInput(
            "witness_not_eligible",
            "The count witness must be a staff member of this clinic who handles inventory.",
            {"field": "witness_id"},
        )
    return witness


def _open_containers(clinic_id: int) -> set[int]:
    """Containers whose latest entry leaves drug in stock or drawn up."""
    latest = {}
    for cid, _seq, stock, drawn in (
        LedgerEntry.objects.filter(clinic_id=clinic_id)
        .order_by("container_id", "sequence")
        .values_list("container_id", "sequence", "balance_after_ml", "drawn_after_ml")
    ):
        latest[cid] = (stock, drawn)
    return {cid for cid, (stock, drawn) in latest.items() if stock > 0 or drawn > 0}


@_logs_refusals
@transaction.atomic
def record_inventory_count(
    *,
    actor: User,
    business_time: str,
    complete: bool,
    lines: Iterable[dict[str, Any]],
    witness_id: int | None = None,
    notes: str = "",
    as_of: datetime | None = None,
) -> InventoryCount:
    """Record a physical count and reconcile it with the ledger.

    ``lines``: ``{"container_id", "counted_ml", "estimated"}``. A complete inventory must
    cover every container with drug left (21 CFR 1304.11). Each difference beyond the clinic
    tolerance adjusts the ledger to the counted stock (a count adjustment naming the count)
    and opens a discrepancy with its DEA deadlines, to be classified and closed. Signing it
    off needs a second-factor check within the clinic's step-up limit (issue 14)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    require_recent_second_factor(actor)
    if business_time not in BusinessTime.values:
        raise InvalidClinicalInput(
            "business_time_required", "Say whether the count was at opening or close of business."
        )
    lines = list(lines)
    ids = [int(line["container_id"]) for line in lines]
    if not ids:
        raise InvalidClinicalInput("count_empty", "A count lists at least one container.")
    if len(set(ids)) != len(ids):
        raise InvalidClinicalInput("count_duplicate_container", "Each container is counted once.")
    witness = _count_witness(actor, witness_id)
    containers = {
        c.pk: c
        for c in StockContainer.objects.select_for_update()
        .filter(pk__in=ids, clinic_id=actor.clinic_id)
        .order_by("pk")
    }
    missing_ids = [i for i in ids if i not in containers]
    if missing_ids:
        raise NotFound("stock container")
    if complete:
        uncounted = sorted(_open_containers(actor.clinic_id) - set(ids))
        if uncounted:
            raise InvalidClinicalInput(
                "inventory_incomplete",
                "A complete inventory counts every container with drug left; "
                f"{len(uncounted)} not counted.",
                {"container_ids": uncounted},
            )
    when = _when(as_of)
    policy = mappers.ledger_policy_for(actor.clinic_id)
    count = InventoryCount(
        clinic_id=actor.clinic_id,
        created_at=timezone.now(),
        created_by=actor,
        counted_at=when,
        business_time=business_time,
        complete=complete,
        witness=witness,
        notes=notes.strip(),
    )
    save_validated(count)
    opened = 0
    for line in lines:
        container = containers[int(line["container_id"])]
        counted = Decimal(line["counted_ml"])
        rows = list(container.entries.order_by("sequence"))
        expected = mappers.core_balance(container, rows).get(str(container.pk))
        assert expected is not None
        result = core.reconcile(expected, counted, policy=policy)
        count_line = InventoryCountLine(
            clinic_id=actor.clinic_id,
            created_at=timezone.now(),
            created_by=actor,
            count=count,
            container=container,
            expected_ml=result.expected_ml,
            counted_ml=counted,
            discrepancy_ml=result.discrepancy_ml,
            estimated=bool(line.get("estimated", False)),
            status=result.status.value,
        )
        save_validated(count_line)
        if result.requires_investigation:
            _append_entry(
                actor=actor,
                container=container,
                kind=EntryKind.COUNT_ADJUSTMENT,
                quantity_ml=result.discrepancy_ml,
                as_of=when,
                policy=policy,
                reason=f"Inventory count {count.pk}: {result.status.value} of "
                f"{abs(result.discrepancy_ml)} mL against the ledger.",
                count_line=count_line,
            )
            _open_discrepancy(actor, count_line, result, when)
            opened += 1
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=count,
        after={
            "complete": complete,
            "business_time": business_time,
            "containers": ids,
            "witness": witness.pk if witness else None,
            "discrepancies_opened": opened,
        },
        summary="controlled-substance inventory count",
    )
    return count


def _open_discrepancy(
    actor: User, line: InventoryCountLine, result: core.Reconciliation, when: datetime
) -> Discrepancy:
    deadlines = core.loss_theft_deadlines(when)
    discrepancy = Discrepancy(
        clinic_id=actor.clinic_id,
        created_at=timezone.now(),
        created_by=actor,
        count_line=line,
        container=line.container,
        discrepancy_ml=result.discrepancy_ml,
        discrepancy_mg=result.discrepancy_mg,
        discovered_at=when,
        written_notice_due_on=deadlines.written_notice_due_on,
        form_106_due_on=deadlines.form_106_due_on,
        updated_at=timezone.now(),
    )
    save_validated(discrepancy)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=discrepancy,
        after={
            "container": line.container_id,
            "discrepancy_ml": result.discrepancy_ml,
            "written_notice_due_on": deadlines.written_notice_due_on,
            "form_106_due_on": deadlines.form_106_due_on,
        },
        summary="controlled-substance count discrepancy opened",
    )
    return discrepancy


def _locked_open_discrepancy(actor: User, discrepancy_id: int) -> Discrepancy:
    found = (
        Discrepancy.objects.select_for_update()
        .filter(pk=discrepancy_id, clinic_id=actor.clinic_id)
        .first()
    )
    if found is None:
        raise NotFound("discrepancy")
    if found.status == DiscrepancyStatus.CLOSED:
        raise GateBlocked(
            GateDecision(
                blockers=(
                    Finding(
                        "discrepancy_closed",
                        "This discrepancy is closed; record new findings as a new count.",
                        overridable=False,
                    ),
                )
            )
        )
    return found


@transaction.atomic
def classify_discrepancy(
    *,
    actor: User,
    discrepancy_id: int,
    classification: str,
    notes: str,
    as_of: datetime | None = None,
) -> Discrepancy:
    """Record the registrant's judgment: unexplained, loss, theft or significant loss.
    Theft and significant loss carry the DEA deadlines set at discovery."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    if classification not in DiscrepancyClassification.values:
        raise InvalidClinicalInput("unknown_classification", "Unknown classification.")
    if not notes.strip():
        raise InvalidClinicalInput(
            "classification_notes_required", "Write what the investigation found."
        )
    when = _when(as_of)
    found = _locked_open_discrepancy(actor, discrepancy_id)
    before = {
        "classification": found.classification,
        "investigation_notes": found.investigation_notes,
    }
    found.classification = classification
    found.investigation_notes = notes.strip()
    found.classified_at = when
    found.classified_by = actor
    found.updated_at = timezone.now()
    save_validated(
        found,
        update_fields=[
            "classification",
            "investigation_notes",
            "classified_at",
            "classified_by",
            "updated_at",
        ],
    )
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=found,
        before=before,
        after={"classification": classification, "investigation_notes": found.investigation_notes},
        summary="controlled-substance discrepancy classified",
    )
    return found


@transaction.atomic
def close_discrepancy(
    *,
    actor: User,
    discrepancy_id: int,
    closing_notes: str,
    dea_notice_sent_on: date | None = None,
    form_106_filed_on: date | None = None,
    as_of: datetime | None = None,
) -> Discrepancy:
    """Close a discrepancy with notes. A theft or significant loss closes only once the
    written DEA notice and DEA Form 106 are recorded (409 otherwise)."""
    require_permission(actor, Permission.MANAGE_INVENTORY)
    if not closing_notes.strip():
        raise InvalidClinicalInput("closing_notes_required", "Closing a discrepancy needs notes.")
    when = _when(as_of)
    found = _locked_open_discrepancy(actor, discrepancy_id)
    discovered_on = timezone.localtime(found.discovered_at).date()
    for value, name in (
        (dea_notice_sent_on, "dea_notice_sent_on"),
        (form_106_filed_on, "form_106_filed_on"),
    ):
        if value is not None and not discovered_on <= value <= when.date():
            raise InvalidClinicalInput(
                "report_date_out_of_range",
                f"{name} must fall between discovery and today.",
                {"field": name},
            )
    blockers = []
    if found.reportable and dea_notice_sent_on is None:
        blockers.append(
            Finding(
                "dea_notice_not_recorded",
                "Record the date the written notice went to the DEA Field Division "
                f"(due {found.written_notice_due_on.isoformat()}).",
                DEA_THEFT_LOSS_RULE_2023,
                overridable=False,
            )
        )
    if found.reportable and form_106_filed_on is None:
        blockers.append(
            Finding(
                "form_106_not_recorded",
                "Record the date DEA Form 106 was filed "
                f"(due {found.form_106_due_on.isoformat()}).",
                DEA_THEFT_LOSS_RULE_2023,
                overridable=False,
            )
        )
    GateDecision(blockers=tuple(blockers)).enforce()
    found.status = DiscrepancyStatus.CLOSED
    found.closing_notes = closing_notes.strip()
    found.closed_at = when
    found.closed_by = actor
    found.dea_notice_sent_on = dea_notice_sent_on
    found.form_106_filed_on = form_106_filed_on
    found.updated_at = timezone.now()
    save_validated(
        found,
        update_fields=[
            "status",
            "closing_notes",
            "closed_at",
            "closed_by",
            "dea_notice_sent_on",
            "form_106_filed_on",
            "updated_at",
        ],
    )
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=found,
        before={"status": DiscrepancyStatus.OPEN},
        after={
            "status": DiscrepancyStatus.CLOSED,
            "closing_notes": found.closing_notes,
            "dea_notice_sent_on": dea_notice_sent_on,
            "form_106_filed_on": form_106_filed_on,
        },
        summary="controlled-substance discrepancy closed",
    )
    return found


@transaction.atomic
def record_ledger_settings(
    *,
    actor: User,
    inventory_interval_years: int,
    waste_witness_required: bool,
    count_tolerance_ml: Decimal,
) -> LedgerSettings:
    """Set the clinic's ledger policy (a state requiring annual inventories sets 1 year)."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    # The core validates the values (1 or 2 years, tolerance >= 0).
    core.LedgerPolicy(
        waste_witness_required=waste_witness_required,
        count_tolerance_ml=count_tolerance_ml,
        inventory_interval_years=inventory_interval_years,
    )
    row = LedgerSettings.objects.select_for_update().filter(clinic_id=actor.clinic_id).first()
    fields = ["inventory_interval_years", "waste_witness_required", "count_tolerance_ml"]
    before = None if row is None else {f: getattr(row, f) for f in fields}
    if row is None:
        row = LedgerSettings(clinic_id=actor.clinic_id)
    row.inventory_interval_years = inventory_interval_years
    row.waste_witness_required = waste_witness_required
    row.count_tolerance_ml = count_tolerance_ml
    row.updated_at = timezone.now()
    row.updated_by = actor
    try:
        row.full_clean()
    except ValidationError as exc:
        raise validation_to_clinical(exc) from exc
    row.save()
    record_write(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        target=row,
        before=before,
        after={f: getattr(row, f) for f in fields},
        summary="controlled-substance ledger settings",
    )
    return row
