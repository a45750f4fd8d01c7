"""Kaplan-Meier (product-limit) estimate of a survival curve (Kaplan & Meier 1958).

At each distinct event time t_i with d_i events among n_i still at risk,
S(t) = prod over t_i <= t of (1 - d_i / n_i). A subject censored at the same time as an event
is still at risk at that event (the usual convention). Implemented in numpy (lifelines is not
a dependency). Confidence bands (Greenwood) are deliberately not computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketacare.clinical.errors import InvalidClinicalInput


@dataclass(frozen=True, slots=True)
class KaplanMeierCurve:
    """Step points at each distinct event time: ``survival[i]`` holds from ``times[i]`` on;
    ``at_risk[i]`` and ``events[i]`` are the counts just before ``times[i]``."""

    times: tuple[int, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    survival: tuple[float, ...]
    subjects: int

    def median(self) -> int | None:
        """The first time the curve is at or below one half; None if it never is."""
        for t, s in zip(self.times, self.survival, strict=True):
            if s <= 0.5:
                return t
        return None


def kaplan_meier(durations: Sequence[int], events: Sequence[bool]) -> KaplanMeierCurve:
    """Product-limit estimate from whole-day ``durations`` (>= 0) and event flags
    (True: the event happened at that time; False: censored)."""
    if len(durations) != len(events):
        raise InvalidClinicalInput(
            "km_lengths_differ", "Each duration needs exactly one event flag."
        )
    t = np.asarray(durations, dtype=np.int64)
    e = np.asarray(events, dtype=bool)
    if t.size and t.min() < 0:
        raise InvalidClinicalInput("km_negative_duration", "Durations cannot be negative.")
    event_times = np.unique(t[e])
    times, at_risk, counts, survival = [], [], [], []
    s = 1.0
    for time in event_times:
        n_i = int(np.count_nonzero(t >= time))
        d_i = int(np.count_nonzero((t == time) & e))
        s *= 1.0 - d_i / n_i
        times.append(int(time))
        at_risk.append(n_i)
        counts.append(d_i)
        survival.append(s)
    return KaplanMeierCurve(tuple(times), tuple(at_risk), tuple(counts), tuple(survival), t.size)
