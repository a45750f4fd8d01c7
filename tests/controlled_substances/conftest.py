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
