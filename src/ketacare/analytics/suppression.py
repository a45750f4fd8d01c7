"""Small-cell suppression for cohort aggregates.

Implements the CMS cell size suppression rule as a clinic-configurable minimum cell count
``k``: a count is shown only when it is zero or at least ``k``; the default ``k`` is 11, CMS's
"no cell containing a value of 1 to 10" (see ``references.CMS_CELL_SUPPRESSION``). A rate whose
numerator or complement (denominator minus numerator) would be a small cell is suppressed too,
since either can be derived from the other and the denominator.

Deliberately not done: secondary suppression across rows (callers report no totals that would
let a suppressed row be recovered by subtraction), and no rounding or noise.
"""

from __future__ import annotations

from ketacare.analytics import references as refs
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.sources import cited

ANALYTICS_MIN_CELL_COUNT_DEFAULT = cited(
    "ANALYTICS_MIN_CELL_COUNT_DEFAULT", 11, "count (cells of 1 to k-1 suppressed)",
    refs.CMS_CELL_SUPPRESSION,
)  # fmt: skip


def check_min_cell_count(min_cell_count: int) -> None:
    if not isinstance(min_cell_count, int) or isinstance(min_cell_count, bool):
        raise InvalidClinicalInput(
            "min_cell_count_invalid", "The minimum cell count must be a whole number."
        )
    if min_cell_count < 1:
        raise InvalidClinicalInput(
            "min_cell_count_invalid", "The minimum cell count must be at least 1."
        )


def is_reportable(count: int, min_cell_count: int) -> bool:
    """True when ``count`` may be shown: zero, or at least ``min_cell_count``."""
    check_min_cell_count(min_cell_count)
    if count < 0:
        raise InvalidClinicalInput("count_negative", "A count cannot be negative.")
    return count == 0 or count >= min_cell_count
