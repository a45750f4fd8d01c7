"""Demo stock room: two suppliers, ketamine 50 mg/mL 10 mL vials and SPRAVATO 56 mg kits
received 22 months ago, a complete inventory 20 months ago (so the next is due in about
4 months: no alert yet), prepared syringes of cancelled sessions wasted with a witness,
an expired lot returned to a reverse distributor, and one spot-count shortage classified
as a (non-significant) loss and closed. Every movement goes through the services, so the
ledger reconciles and the audit trail is real.

The treatment demo's doses come out of stock: the treatment app seeds first and leaves its
completed doses in ``ctx.extra["treatment_doses"]``; here the lots those doses name are
received a week before the first of them (esketamine: one kit per session, 56 or 84 mg;
ketamine: 10 mg/mL 20 mL vials, the concentration the doses were drawn at), and each dose is
recorded as an administration from stock, by the clinician who gave it, at the time it was
recorded and linked to its session. The ledger then reconciles with the doses given
(balance = received - administered - wasted - returned, count adjustments aside).

Later apps find the containers in ``ctx.extra["controlled_substances"]``.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from ketacare.clinical.dosing.protocols import ESKETAMINE_DEVICE_MG
from ketacare.controlled_substances import services

# Mirrors ketacare.demo.seed.demo_password (apps may not import the demo seeder).
_DEMO_PASSWORD_FALLBACK = "ketacare-demo"

KETAMINE_SUPPLIER = {
    "supplier_name": "Midwest Medical Distribution",
    "supplier_address": "1200 Commerce Dr, Columbus OH 43215",
    "supplier_dea_number": "BB1388568",  # synthetic, well-formed
}
ESKETAMINE_SUPPLIER = {
    "supplier_name": "Specialty Pharmacy Services",
    "supplier_address": "55 Harbor Way, Boston MA 02110",
    "supplier_dea_number": "AP5836727",  # synthetic, well-formed
}


def seed_demo(ctx) -> None:
    nurse, prescriber = ctx.users["nurse"], ctx.users["prescriber"]
    now = timezone.now()
    today = timezone.localdate()

    def ago(days: int, hour: int = 10) -> datetime:
        return (now - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)

    vials = services.receive_stock(
        actor=nurse,
        drug="racemic_ketamine",
        concentration_mg_per_ml=Decimal("50"),
        description="10 mL multi-dose vial",
        size_ml=Decimal("10"),
        lot="KD2291",
        expires_on=today + timedelta(days=300),
        ndc="0409-2051-05",
        container_count=4,
        as_of=ago(670),
        **KETAMINE_SUPPLIER,
    )
    kits = services.receive_stock(
        actor=nurse,
        drug="esketamine",
        concentration_mg_per_ml=Decimal("140"),  # 28 mg / 0.2 mL (NDC 50458-028, S13)
        description="SPRAVATO 56 mg kit (2 devices)",
        size_ml=Decimal("0.4"),
        device_count=2,
        lot="ESK3310",
        expires_on=today + timedelta(days=240),
        ndc="50458-028-02",
        container_count=3,
        as_of=ago(670, 11),
        **ESKETAMINE_SUPPLIER,
    )
    full = {c.pk: c.size_ml for c in (*vials, *kits)}
    services.record_inventory_count(
        actor=nurse,
        business_time="closing",
        complete=True,
        lines=[{"container_id": pk, "counted_ml": ml} for pk, ml in full.items()],
        witness_id=prescriber.pk,
        notes="Biennial inventory.",
        as_of=ago(610, 17),
    )

    password = os.environ.get("KETACARE_DEMO_PASSWORD") or _DEMO_PASSWORD_FALLBACK
    if prescriber.check_password(password):
        # Syringes prepared for sessions that were then cancelled: wasted, witnessed.
        for days, ml in ((400, "0.8"), (250, "1.2"), (120, "0.6")):
            services.draw_for_session(
                actor=nurse, container_id=vials[0].pk, quantity_ml=Decimal(ml), as_of=ago(days)
            )
            services.witness_waste(
                actor=nurse,
                container_id=vials[0].pk,
                quantity_ml=Decimal(ml),
                witness_id=prescriber.pk,
                witness_password=password,
                reason="Session cancelled after the syringe was prepared.",
                as_of=ago(days, 11),
            )

    short_lot = services.receive_stock(
        actor=nurse,
        drug="racemic_ketamine",
        concentration_mg_per_ml=Decimal("50"),
        description="10 mL multi-dose vial",
        size_ml=Decimal("10"),
        lot="KD1988",
        expires_on=today - timedelta(days=30),
        ndc="0409-2051-05",
        as_of=ago(180),
        **KETAMINE_SUPPLIER,
    )[0]
    services.return_stock(
        actor=nurse,
        container_id=short_lot.pk,
        reason="Expired lot returned to the reverse distributor.",
        as_of=ago(14),
    )

    # A spot count finds 0.2 mL missing from an opened vial: a spill, classified and closed.
    count = services.record_inventory_count(
        actor=nurse,
        business_time="opening",
        complete=False,
        lines=[{"container_id": vials[1].pk, "counted_ml": Decimal("9.8")}],
        witness_id=prescriber.pk,
        notes="Spot count after a reported spill.",
        as_of=ago(90, 8),
    )
    discrepancy = count.lines.get().discrepancy
    services.classify_discrepancy(
        actor=prescriber,
        discrepancy_id=discrepancy.pk,
        classification="loss",
        notes="Vial dropped while drawing; spill seen by the nurse, not significant.",
        as_of=ago(90, 12),
    )
    services.close_discrepancy(
        actor=prescriber,
        discrepancy_id=discrepancy.pk,
        closing_notes="Handling retrained; no report needed for a non-significant loss.",
        as_of=ago(89),
    )
    treatment = _stock_for_treatment_doses(nurse, ctx.extra.get("treatment_doses", []), today)
    ctx.extra["controlled_substances"] = {
        "ketamine_container_ids": [v.pk for v in vials],
        "esketamine_container_ids": [k.pk for k in kits],
        "treatment_container_ids": [c.pk for c in treatment],
    }


# Esketamine comes as kits of 2 devices (56 mg) or 3 devices (84 mg) of 28 mg / 0.2 mL each
# (S13); one kit per session, so each dose names whole kit devices.
_ESKETAMINE_MG_PER_ML = Decimal("140")
_KETAMINE_VIAL = {"concentration_mg_per_ml": Decimal("10"), "size_ml": Decimal("20")}
_SPARE_CONTAINERS = 2


def _stock_for_treatment_doses(nurse, doses, today) -> list:
    """Receive the lots the treatment demo's doses name and record each dose from stock."""
    if not doses:
        return []
    received_at = timezone.localtime(min(d.started_at for d in doses)) - timedelta(days=7)
    received_at = received_at.replace(hour=10, minute=0, second=0, microsecond=0)
    esketamine = [d for d in doses if d.route == "intranasal"]
    ketamine = [d for d in doses if d.route != "intranasal"]
    containers = []
    kits: dict[int, list] = {}
    for devices in (2, 3):
        given = [d for d in esketamine if d.dose_mg == devices * ESKETAMINE_DEVICE_MG]
        if not given:
            continue
        kits[devices] = services.receive_stock(
            actor=nurse,
            drug="esketamine",
            concentration_mg_per_ml=_ESKETAMINE_MG_PER_ML,
            description=f"SPRAVATO {devices * ESKETAMINE_DEVICE_MG} mg kit ({devices} devices)",
            size_ml=devices * ESKETAMINE_DEVICE_MG / _ESKETAMINE_MG_PER_ML,
            device_count=devices,
            lot=given[0].lot_number,
            expires_on=today + timedelta(days=300),
            container_count=len(given) + _SPARE_CONTAINERS,
            as_of=received_at,
            **ESKETAMINE_SUPPLIER,
        )
        containers += kits[devices]
    vials = []
    if ketamine:
        per_vial = _KETAMINE_VIAL["concentration_mg_per_ml"] * _KETAMINE_VIAL["size_ml"]
        largest = max(d.dose_mg for d in ketamine)
        # First fit leaves less than the largest dose unused in each vial.
        needed = math.ceil(sum(d.dose_mg for d in ketamine) / (per_vial - largest))
        vials = services.receive_stock(
            actor=nurse,
            drug="racemic_ketamine",
            description="20 mL multi-dose vial",
            lot=ketamine[0].lot_number,
            expires_on=today + timedelta(days=300),
            container_count=needed + _SPARE_CONTAINERS,
            as_of=received_at + timedelta(minutes=30),
            **_KETAMINE_VIAL,
            **KETAMINE_SUPPLIER,
        )
        containers += vials
    left = {v.pk: v.size_ml * v.concentration_mg_per_ml for v in vials}
    # Chronological over all containers: each container's entries stay in order.
    for dose in sorted(doses, key=lambda d: (d.created_at, d.pk)):
        if dose.route == "intranasal":
            container = kits[int(dose.dose_mg // ESKETAMINE_DEVICE_MG)].pop(0)
        else:
            # The open vial is used until it cannot cover a dose; the rest stays in stock.
            container = next(v for v in vials if left[v.pk] >= dose.dose_mg)
            left[container.pk] -= dose.dose_mg
        services.record_administration_from_stock(
            actor=dose.created_by,
            container_id=container.pk,
            dose_mg=dose.dose_mg,
            patient=dose.session.patient,
            session_id=dose.session_id,
            as_of=dose.created_at,
        )
    return containers
