"""Demo stock room: two suppliers, ketamine 50 mg/mL 10 mL vials and SPRAVATO 56 mg kits
received 22 months ago, a complete inventory 20 months ago (so the next is due in about
4 months: no alert yet), prepared syringes of cancelled sessions wasted with a witness,
an expired lot returned to a reverse distributor, and one spot-count shortage classified
as a (non-significant) loss and closed. Every movement goes through the services, so the
ledger reconciles and the audit trail is real.

Later apps find the containers in ``ctx.extra["controlled_substances"]``. The treatment
app seeds before this one, so demo doses recorded there do not name a container.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

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
    ctx.extra["controlled_substances"] = {
        "ketamine_container_ids": [v.pk for v in vials],
        "esketamine_container_ids": [k.pk for k in kits],
    }
