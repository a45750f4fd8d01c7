"""Wilson score confidence interval for a proportion (Wilson 1927).

For x successes in n trials, p = x/n and z the two-sided normal quantile::

    centre = (p + z^2/(2n)) / (1 + z^2/n)
    half   = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2))

It stays inside [0, 1] and keeps close to nominal coverage for small n and for p near 0 or 1,
where the Wald interval fails (Brown, Cai & DasGupta 2001). z comes from the standard normal
distribution (``statistics.NormalDist``), not a typed constant. No continuity correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt
from statistics import NormalDist

from ketacare.clinical.errors import InvalidClinicalInput


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    lower: float
    upper: float
    confidence: float


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Point estimate x/n and its Wilson score interval at ``confidence`` (0-1)."""
    if not (isinstance(n, int) and isinstance(successes, int)) or n < 1:
        raise InvalidClinicalInput("interval_n_invalid", "A proportion needs n of at least 1.")
    if not 0 <= successes <= n:
        raise InvalidClinicalInput(
            "interval_successes_out_of_range", "Successes must lie between 0 and n."
        )
    if not 0 < confidence < 1:
        raise InvalidClinicalInput(
            "interval_confidence_invalid", "Confidence must lie strictly between 0 and 1."
        )
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Clamp float round-off only (x=0 gives exactly 0 in exact arithmetic).
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), confidence)
