"""Citations for every number that drives a clinical rule.

A clinical constant is declared with ``cited(...)``: it returns the value unchanged and
records the value, unit and ``Source`` in ``REGISTRY``. The architecture test
(tests/architecture/test_clinical_sources_listed.py) imports every module of
``ketacare.clinical`` and checks that each registered name appears in
docs/clinical-sources.md, so a number cannot ship without its citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Source:
    """A published source: who, when, what, where to find it, and the page or table."""

    key: str  # short stable id, e.g. "kroenke2001" or a clinical-reference id like "S33"
    citation: str  # authors, year, title, journal
    url: str | None = None
    locator: str | None = None  # page, table or section that holds the fact
    verified: bool = True  # False: memory-only or secondary; never a hard rule

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "citation": self.citation,
            "url": self.url,
            "locator": self.locator,
        }


@dataclass(frozen=True, slots=True)
class CitedValue:
    name: str
    value: Any
    unit: str
    source: Source


REGISTRY: dict[str, CitedValue] = {}


def cited(name: str, value: T, unit: str, source: Source) -> T:
    """Register a clinical constant with its unit and source, and return its value."""
    existing = REGISTRY.get(name)
    if existing is not None and (existing.value != value or existing.source != source):
        raise ValueError(f"clinical constant {name} registered twice with different values")
    REGISTRY[name] = CitedValue(name=name, value=value, unit=unit, source=source)
    return value
