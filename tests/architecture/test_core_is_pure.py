"""The clinical core never imports Django or reads the clock (import-linter covers imports;
this guards the clock, which import rules cannot see)."""

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "ketacare" / "clinical"
CLOCK = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\s*\(")


def test_clinical_core_never_reads_the_clock():
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if CLOCK.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
