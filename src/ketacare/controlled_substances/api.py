"""Controlled-substance ledger: /api/v1/inventory/...

Ketamine and esketamine are Schedule III. Every movement is an append-only ledger entry;
the stock of a container can never go negative. A refused movement answers 409 with
`details.blockers` (negative balance, expired lot, missing or unverified waste witness);
invalid input answers 422; neither writes anything.
"""

from __future__ import annotations

from ninja import Query, Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.controlled_substances import selectors, services
from ketacare.controlled_substances.schemas import (
    BalancesRead,
    ClassifyCreate,
    CloseCreate,
    CorrectionCreate,
    CountCreate,
    CountRead,
    DiscrepancyFilter,
    DiscrepancyRead,
    DrawCreate,
    LedgerEntryRead,
    LedgerFilter,
    LedgerPage,
    ReceiptCreate,
    ReceiptRead,
    ReturnCreate,
    WasteCreate,
)
from ketacare.patients.selectors import access_patient

router = Router(tags=["controlled substances"])


def _patient(request, patient_id: int | None):
    return access_patient(request.user, patient_id, purpose="ledger") if patient_id else None


@router.post(
    "/inventory/receipts",
    response={201: ReceiptRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def receive_stock(request, payload: ReceiptCreate):
    """Record containers received: drug, concentration, container and size (esketamine kits:
    device count), lot, expiry, optional NDC, and the supplier's name, address and DEA number
    (format and check digit verified). Each container gets its own receipt entry. An expired
    lot is refused (409)."""
    data = payload.dict(exclude={"supplier", "received_at"})
    supplier = payload.supplier
    containers = services.receive_stock(
        actor=request.user,
        supplier_name=supplier.name,
        supplier_address=supplier.address,
        supplier_dea_number=supplier.dea_number,
        as_of=payload.received_at,
        **data,
    )
    return Status(201, {"containers": containers})


@router.post(
    "/inventory/draws",
    response={201: LedgerEntryRead, **ERROR_RESPONSES},
    **guard(Permission.ADMINISTER_DOSE),
)
def draw_for_session(request, payload: DrawCreate):
    """Draw drug from a container for a session (esketamine: whole devices). More than the
    container holds, or an expired lot, is refused (409)."""
    entry = services.draw_for_session(
        actor=request.user,
        container_id=payload.container_id,
        quantity_ml=payload.quantity_ml,
        patient=_patient(request, payload.patient_id),
        session_id=payload.session_id,
        as_of=payload.occurred_at,
    )
    return Status(201, entry)


@router.post(
    "/inventory/waste",
    response={201: LedgerEntryRead, **ERROR_RESPONSES},
    **guard(Permission.WITNESS_WASTE),
)
def witness_waste(request, payload: WasteCreate):
    """Waste drawn drug with a second licensed witness (a prescriber or nurse of the same
    clinic, not the caller). The witness authenticates by entering their own password in
    `witness_password`; it is checked and never stored. Wrong passwords are logged against
    the witness's account and, after 5 within 15 minutes, the witness is locked out of
    witnessing for 15 minutes. Missing, ineligible or unverified witness: 409; the caller as
    witness: 422."""
    entry = services.witness_waste(
        actor=request.user,
        patient=_patient(request, payload.patient_id),
        as_of=payload.occurred_at,
        **payload.dict(exclude={"patient_id", "occurred_at"}),
    )
    return Status(201, entry)


@router.post(
    "/inventory/returns",
    response={201: LedgerEntryRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def return_stock(request, payload: ReturnCreate):
    """Return stock to the supplier or a reverse distributor (expired lots included)."""
    entry = services.return_stock(
        actor=request.user, as_of=payload.occurred_at, **payload.dict(exclude={"occurred_at"})
    )
    return Status(201, entry)


@router.post(
    "/inventory/corrections",
    response={201: LedgerEntryRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def record_correction(request, payload: CorrectionCreate):
    """Correct a recorded entry with a new signed stock adjustment that names it; entries
    are never edited. A correction that would make the stock negative is refused (409)."""
    entry = services.record_correction(
        actor=request.user, as_of=payload.occurred_at, **payload.dict(exclude={"occurred_at"})
    )
    return Status(201, entry)


@router.post(
    "/inventory/counts",
    response={201: CountRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def record_inventory_count(request, payload: CountCreate):
    """Record a physical count (a complete inventory must include every container with drug
    left), at opening or close of business. Differences adjust the ledger to the count and
    open discrepancies with their DEA deadlines (see `/inventory/discrepancies`)."""
    count = services.record_inventory_count(
        actor=request.user,
        business_time=payload.business_time,
        complete=payload.complete,
        lines=[line.dict() for line in payload.lines],
        witness_id=payload.witness_id,
        notes=payload.notes,
        as_of=payload.counted_at,
    )
    return Status(201, selectors.access_count(request.user, count.pk))


@router.get(
    "/inventory/ledger",
    response={200: LedgerPage, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def list_ledger(request, filters: Query[LedgerFilter]):
    """Ledger entries, newest first, filtered by container, kind and time (inclusive)."""
    items, total = selectors.list_ledger(request.user, **filters.dict())
    return {"items": items, "total": total, "limit": filters.limit, "offset": filters.offset}


@router.get(
    "/inventory/balance",
    response={200: BalancesRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def balances(request):
    """Stock and drawn-up quantity per container with drug left, and the inventory status:
    the last complete inventory and whether the next is overdue (alert `inventory_overdue`)."""
    return {
        "items": selectors.list_balances(request.user),
        "inventory": selectors.inventory_status(request.user),
    }


@router.get(
    "/inventory/discrepancies",
    response={200: list[DiscrepancyRead], **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def list_discrepancies(request, filters: Query[DiscrepancyFilter]):
    """Open count discrepancies with their deadlines: written notice to the DEA Field
    Division within 1 business day of discovery and DEA Form 106 within 45 days, which
    apply once a discrepancy is classified as theft or significant loss (`reportable`)."""
    return selectors.list_discrepancies(request.user, include_closed=filters.include_closed)


@router.post(
    "/inventory/discrepancies/{discrepancy_id}/classify",
    response={200: DiscrepancyRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def classify_discrepancy(request, discrepancy_id: RecordId, payload: ClassifyCreate):
    """Record the investigation's judgment: unexplained, loss, theft or significant loss."""
    return services.classify_discrepancy(
        actor=request.user, discrepancy_id=discrepancy_id, **payload.dict()
    )


@router.post(
    "/inventory/discrepancies/{discrepancy_id}/close",
    response={200: DiscrepancyRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_INVENTORY),
)
def close_discrepancy(request, discrepancy_id: RecordId, payload: CloseCreate):
    """Close with notes; theft or significant loss needs the DEA notice and Form 106 dates
    recorded first (409 otherwise)."""
    return services.close_discrepancy(
        actor=request.user, discrepancy_id=discrepancy_id, **payload.dict()
    )
