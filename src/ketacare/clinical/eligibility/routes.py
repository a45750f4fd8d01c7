"""Routes of ketamine/esketamine administration that an evaluation or a consent refers to.

Intranasal means esketamine (SPRAVATO); the other routes are racemic ketamine (off-label for
depression). If another part of the core defines its own route vocabulary, the two should be
merged into one shared module.
"""

from __future__ import annotations

from enum import StrEnum


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    SC = "sc"
    INTRANASAL = "intranasal"  # esketamine nasal spray
    ORAL = "oral"
