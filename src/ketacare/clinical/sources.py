"""Citations for every number that drives a clinical rule, and the grade of their evidence.

A clinical constant is declared with ``cited(...)``: it returns the value unchanged and
records the value, unit and ``Source`` in ``REGISTRY``. Every ``Source`` carries a ``Grade``
(the kind of text the fact was read in) and says whether its wording is ``mandatory`` (the
text says must / must not / contraindicated) or a guide ("consider", "a general guide").

How strong a rule may be follows from that (issue 16):

- a **hard block** (non-overridable) needs a verified PRIMARY source whose wording is
  mandatory, or a limit the clinic itself set (CLINIC): ``Source.can_justify_block``;
- a fact graded SECONDARY or HEURISTIC, or a primary text that only guides, produces a
  warning that needs an acknowledgment, or a block a prescriber may override.

tests/architecture/test_clinical_sources_listed.py checks that every registered name is in
docs/clinical-sources.md (whose "Registry" section is generated from here by
``python -m ketacare.sources_doc --write``), that every source is graded, and that
no non-overridable finding rests on a source that cannot justify a block.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")

# Where a page shows the evidence line, it links to the source's entry here.
SOURCES_PAGE_PATH = "/sources/"


class Grade(StrEnum):
    """The kind of text a fact was read in (not how good the study is)."""

    PRIMARY = "primary"  # label, REMS document, regulation, original paper or manual
    SECONDARY = "secondary"  # a summary, copy or paraphrase of a primary text
    CONSENSUS = "consensus"  # a consensus statement or guideline read in its own text
    HEURISTIC = "heuristic"  # KetaCare's own derivation or product rule
    CLINIC = "clinic"  # the clinic's own setting (no published value)


GRADE_LABELS: dict[Grade, str] = {
    Grade.PRIMARY: "primary source",
    Grade.SECONDARY: "secondary source",
    Grade.CONSENSUS: "consensus statement",
    Grade.HEURISTIC: "KetaCare heuristic",
    Grade.CLINIC: "clinic setting",
}


REGISTRY: dict[str, CitedValue] = {}  # filled by cited()
# Every Source defined anywhere, by key (one key may name several variants, e.g. the label
# cited for different sections), for the sources page and its anchors.
SOURCES: dict[str, list[Source]] = {}


def register_source(source: Source) -> Source:
    """Record a source for the sources page (every ``Source`` does this when created)."""
    variants = SOURCES.setdefault(source.key, [])
    if source not in variants:
        variants.append(source)
    return source


@dataclass(frozen=True, slots=True)
class Source:
    """A published source: who, when, what, where to find it, and the page or table."""

    key: str  # short stable id, e.g. "kroenke2001" or a clinical-reference id like "S33"
    citation: str  # authors, year, title, journal
    url: str | None = None
    locator: str | None = None  # page, table or section that holds the fact
    verified: bool = True  # False: memory-only or not read in the cited text
    grade: Grade | None = None  # required for every source (architecture test)
    mandatory: bool = False  # the text says must / must not / contraindicated

    def __post_init__(self) -> None:
        register_source(self)

    @property
    def can_justify_block(self) -> bool:
        """A non-overridable block may rest on this source."""
        if self.grade is Grade.CLINIC:
            return True  # a hard limit the clinic chose to set (never a shipped default)
        return self.grade is Grade.PRIMARY and self.verified and self.mandatory

    @property
    def grade_label(self) -> str:
        label = GRADE_LABELS.get(self.grade, "ungraded") if self.grade else "ungraded"
        if self.grade is Grade.PRIMARY and not self.mandatory:
            label += ", guidance wording"
        if not self.verified:
            label += ", not verified"
        return label

    @property
    def anchor(self) -> str:
        """The id of this source's entry on the sources page."""
        safe = "".join(ch if ch.isalnum() else "-" for ch in self.key)
        return f"source-{safe}"

    @property
    def href(self) -> str:
        return f"{SOURCES_PAGE_PATH}#{self.anchor}"

    @property
    def evidence_line(self) -> str:
        """One line a clinician reads: the source and its grade."""
        where = f", {self.locator}" if self.locator else ""
        return f"{self.citation}{where} [{self.grade_label}]"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.citation,  # the API's source object: key, title, locator, grade, url
            "citation": self.citation,
            "url": self.url,
            "locator": self.locator,
            "grade": self.grade.value if self.grade else None,
            "grade_label": self.grade_label,
            "verified": self.verified,
            "mandatory": self.mandatory,
            "evidence": self.evidence_line,
            "href": self.href,
        }


@dataclass(frozen=True, slots=True)
class CitedValue:
    name: str
    value: Any
    unit: str
    source: Source

    @property
    def grade(self) -> Grade | None:
        return self.source.grade


def cited(name: str, value: T, unit: str, source: Source) -> T:
    """Register a clinical constant with its unit and source, and return its value."""
    existing = REGISTRY.get(name)
    if existing is not None and (existing.value != value or existing.source != source):
        raise ValueError(f"clinical constant {name} registered twice with different values")
    REGISTRY[name] = CitedValue(name=name, value=value, unit=unit, source=source)
    return value
