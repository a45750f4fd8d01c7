"""Standard terminology: ICD-10-CM, SNOMED CT, RxNorm and LOINC codes mapped onto the clinical
core's concepts.

The value sets are DATA, not code: ``data/conditions.json``, ``data/medications.json`` and
``data/observations.json``. Each value set names one ``Concept``; each of its ``include``
blocks names its code system URI and the source its codes were checked against (VSAC value
sets, the ICD-10-CM tabular list, CPIC's RxNorm ingredient table, LOINC/US Core examples; see
the files' ``sources``). A code is matched exactly, or for ICD-10-CM by ``prefix`` (a category
and its subcodes, dots ignored; the longest matching prefix wins, so F10.21 "in remission" beats
F10.2 "dependence").

``classify(codings)`` answers the entries a CodeableConcept's codings match. A coding no value
set knows is *unrecognised*: callers must report it, never read it as "absent".

What it deliberately does not do: infer SNOMED CT subsumption (only listed concepts match), or
decide what a concept means for a patient (the doors map concepts onto the engines' inputs).
The files ship inside the package and are read once (package data, not patient I/O).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
# ICD-10 (WHO) codings are accepted for the ICD-10-CM categories both share (F, I, K, Q, Z
# chapters used here are the same at category level); their subcodes are matched by prefix.
ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
_SYSTEM_ALIASES = {ICD10_WHO: ICD10CM, "urn:oid:2.16.840.1.113883.6.90": ICD10CM}
_PREFIX_SYSTEMS = frozenset({ICD10CM})
_FILES = ("conditions.json", "medications.json", "observations.json")

__all__ = [
    "ICD10CM",
    "LOINC",
    "RXNORM",
    "SNOMED",
    "Concept",
    "Entry",
    "ValueSet",
    "classify",
    "concept_entries",
    "value_sets",
]


class Concept(StrEnum):
    # Label contraindications (SPRAVATO; reference §2.3)
    ANEURYSMAL_VASCULAR_DISEASE = "aneurysmal_vascular_disease"
    ARTERIOVENOUS_MALFORMATION = "arteriovenous_malformation"
    INTRACEREBRAL_HEMORRHAGE = "intracerebral_hemorrhage"
    # Warnings and precautions (reference §2.4, §2.5)
    PSYCHOTIC_DISORDER = "psychotic_disorder"
    BIPOLAR_DISORDER = "bipolar_disorder"
    SUBSTANCE_USE_DISORDER_ACTIVE = "substance_use_disorder_active"
    SUBSTANCE_USE_DISORDER_IN_REMISSION = "substance_use_disorder_in_remission"
    PREGNANCY = "pregnancy"
    UNCONTROLLED_HYPERTENSION = "uncontrolled_hypertension"
    HYPERTENSIVE_ENCEPHALOPATHY = "hypertensive_encephalopathy"
    HEPATIC_IMPAIRMENT_SEVERE = "hepatic_impairment_severe"
    STROKE = "stroke"
    MYOCARDIAL_INFARCTION = "myocardial_infarction"
    # Diagnoses
    DEPRESSION = "depression"
    # Medicines
    ANTIDEPRESSANT = "antidepressant"
    AUGMENTING_AGENT = "augmenting_agent"
    KETAMINE = "ketamine"  # ketamine or esketamine (qualifier ``ingredient``)
    # Observations
    PHQ9 = "phq9"
    GAD7 = "gad7"
    BLOOD_PRESSURE = "blood_pressure"
    BODY_WEIGHT = "body_weight"


@dataclass(frozen=True, slots=True)
class Entry:
    """One code of one value set."""

    system: str
    code: str
    display: str
    concept: Concept
    value_set: str
    source_key: str
    match: str = "exact"  # or "prefix"
    qualifiers: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def qualifier(self, name: str, default: Any = None) -> Any:
        return self.qualifiers.get(name, default)


@dataclass(frozen=True, slots=True)
class ValueSet:
    id: str
    title: str
    concept: Concept
    entries: tuple[Entry, ...]
    sources: Mapping[str, Mapping[str, str]]


def _norm(system: str, code: str) -> tuple[str, str]:
    system = _SYSTEM_ALIASES.get(system, system)
    code = code.strip()
    if system in _PREFIX_SYSTEMS:
        code = code.upper().replace(".", "")
    return system, code


@cache
def value_sets() -> tuple[ValueSet, ...]:
    """Every value set in the data files (read once)."""
    out = []
    root = resources.files(__package__).joinpath("data")
    for name in _FILES:
        doc = json.loads(root.joinpath(name).read_text(encoding="utf-8"))
        sources = doc["sources"]
        for vs in doc["valueSets"]:
            concept = Concept(vs["concept"])
            entries = []
            for inc in vs["include"]:
                if inc["source"] not in sources:
                    raise ValueError(f"value set {vs['id']} cites unknown source {inc['source']}")
                for c in inc["concepts"]:
                    entries.append(
                        Entry(
                            system=inc["system"],
                            code=c["code"],
                            display=c["display"],
                            concept=concept,
                            value_set=vs["id"],
                            source_key=inc["source"],
                            match=c.get("match", "exact"),
                            qualifiers=MappingProxyType(dict(c.get("qualifiers", {}))),
                        )
                    )
            out.append(
                ValueSet(
                    id=vs["id"],
                    title=vs["title"],
                    concept=concept,
                    entries=tuple(entries),
                    sources=MappingProxyType({k: MappingProxyType(v) for k, v in sources.items()}),
                )
            )
    return tuple(out)


@cache
def _index() -> tuple[dict[tuple[str, str], list[Entry]], dict[str, list[Entry]]]:
    exact: dict[tuple[str, str], list[Entry]] = {}
    prefix: dict[str, list[Entry]] = {}
    for vs in value_sets():
        for e in vs.entries:
            key = _norm(e.system, e.code)
            if e.match == "prefix":
                prefix.setdefault(key[0], []).append(e)
            exact.setdefault(key, []).append(e)
    for entries in prefix.values():
        entries.sort(key=lambda e: -len(_norm(e.system, e.code)[1]))
    return exact, prefix


def lookup(system: str | None, code: str | None) -> tuple[Entry, ...]:
    """Entries one coding matches: every exact match, and per value set the longest matching
    prefix; an "in remission" match replaces the "active" substance-use match."""
    if not system or not code:
        return ()
    exact, prefix = _index()
    key = _norm(system, code)
    hits = list(exact.get(key, ()))
    seen_sets = {e.value_set for e in hits}
    for e in prefix.get(key[0], ()):  # longest first
        if e.value_set not in seen_sets and key[1].startswith(_norm(e.system, e.code)[1]):
            seen_sets.add(e.value_set)
            hits.append(e)
    if any(e.concept is Concept.SUBSTANCE_USE_DISORDER_IN_REMISSION for e in hits):
        hits = [e for e in hits if e.concept is not Concept.SUBSTANCE_USE_DISORDER_ACTIVE]
    return tuple(hits)


def classify(codings: Iterable[tuple[str | None, str | None]]) -> tuple[Entry, ...]:
    """Entries matched by any of the codings of one CodeableConcept (order kept, no repeats)."""
    out: list[Entry] = []
    for system, code in codings:
        for e in lookup(system, code):
            if e not in out:
                out.append(e)
    return tuple(out)


def concept_entries(concept: Concept, system: str | None = None) -> tuple[Entry, ...]:
    return tuple(
        e
        for vs in value_sets()
        if vs.concept is concept
        for e in vs.entries
        if system is None or e.system == system
    )
