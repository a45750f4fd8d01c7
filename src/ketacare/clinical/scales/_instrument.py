"""Declarative rating-scale specs, shared validation and the shared result type.

An ``Instrument`` declares what a scale is: code, name, version, the items (count, allowed
values, response-option labels where we may ship them), the scoring rule, cited severity bands
and item-level flag rules. Each instrument module (phq9.py, gad7.py, ...) declares one spec and a
``score_<instrument>`` function built from the helpers here, so the arithmetic lives in one
place and every scale validates its answers the same way.

Deliberately not done here:
- no pro-rating: a blank (``None``) item raises ``item_missing`` unless the instrument's own
  skip logic says the item was not asked (C-SSRS screener);
- no item wording: labels are short neutral domain names; copyrighted wording is never shipped;
- ``bool`` is not accepted as a numeric answer (``True == 1`` in Python; a checkbox value must
  not silently become a score).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.sources import Source

Answer = int | None


class ScaleKind(StrEnum):
    """Where a scale is used, so the API can list them apart."""

    MEASUREMENT = "measurement"  # symptom, outcome and safety questionnaires
    SESSION = "session"  # rated during a dosing session (sedation, dissociation)


class ScoringRule(StrEnum):
    SUM = "sum"  # total = sum of all items
    SUM_OF_DOMAIN_MAXIMA = "sum_of_domain_maxima"  # each domain scores its highest item
    SINGLE_RATING = "single_rating"  # one observer rating is the score
    RISK_CATEGORY = "risk_category"  # no total; a category from the pattern of answers


@dataclass(frozen=True, slots=True)
class ResponseOption:
    value: int
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label}


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One item: its number (1-based), a neutral label, allowed values, shippable labels."""

    number: int
    label: str
    allowed_values: tuple[int, ...]
    options: tuple[ResponseOption, ...] = ()  # empty when we may not ship the anchors
    skippable: bool = False  # may be None when the instrument's skip logic says "not asked"

    def __post_init__(self) -> None:
        if not self.allowed_values or list(self.allowed_values) != sorted(set(self.allowed_values)):
            raise ValueError(f"item {self.number}: allowed values must be sorted and unique")
        if any(o.value not in self.allowed_values for o in self.options):
            raise ValueError(f"item {self.number}: an option value is not an allowed value")

    @property
    def min_value(self) -> int:
        return self.allowed_values[0]

    @property
    def max_value(self) -> int:
        return self.allowed_values[-1]

    def describe_allowed(self) -> str:
        values = self.allowed_values
        if len(values) == 2:
            return f"{values[0]} or {values[1]}"
        if values == tuple(range(values[0], values[-1] + 1)):
            return f"{values[0]} to {values[-1]}"
        return "one of " + ", ".join(str(v) for v in values)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "label": self.label,
            "allowed_values": list(self.allowed_values),
            "options": [o.as_dict() for o in self.options],
            "skippable": self.skippable,
        }


def numbered_items(
    labels: Sequence[str],
    allowed_values: tuple[int, ...],
    options: tuple[ResponseOption, ...] = (),
) -> tuple[ItemSpec, ...]:
    """Items 1..n sharing one value range and option list."""
    return tuple(
        ItemSpec(number=n, label=label, allowed_values=allowed_values, options=options)
        for n, label in enumerate(labels, start=1)
    )


@dataclass(frozen=True, slots=True)
class Domain:
    """A symptom domain that scores the highest of its items (QIDS-SR16)."""

    code: str
    label: str
    items: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Severity:
    """The band (or risk level) a result falls in, with the source that defines it."""

    code: str
    label: str
    source: Source | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "source": self.source.as_dict() if self.source else None,
        }


@dataclass(frozen=True, slots=True)
class Band:
    code: str
    label: str
    min_total: int
    max_total: int
    source: Source

    def contains(self, total: int) -> bool:
        return self.min_total <= total <= self.max_total

    @property
    def severity(self) -> Severity:
        return Severity(self.code, self.label, self.source)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "min_total": self.min_total,
            "max_total": self.max_total,
        }


def bands_from_minimums(
    source: Source, max_total: int, *edges: tuple[str, str, int]
) -> tuple[Band, ...]:
    """Contiguous bands from (code, label, lowest total) edges; the last band ends at max_total."""
    bands = []
    for index, (code, label, low) in enumerate(edges):
        high = edges[index + 1][2] - 1 if index + 1 < len(edges) else max_total
        bands.append(Band(code=code, label=label, min_total=low, max_total=high, source=source))
    return tuple(bands)


@dataclass(frozen=True, slots=True)
class Flag:
    """A safety or review signal raised by a result, e.g. a positive suicidality item."""

    code: str
    message: str
    source: Source | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "source": self.source.as_dict() if self.source else None,
        }


@dataclass(frozen=True, slots=True)
class ItemFlagRule:
    """Raise ``code`` when item ``item`` has one of ``values``."""

    code: str
    item: int
    values: tuple[int, ...]
    message: str  # may use {value}
    source: Source

    def check(self, answers: Sequence[Answer]) -> Flag | None:
        value = answers[self.item - 1]
        if value is None or value not in self.values:
            return None
        return Flag(self.code, self.message.format(value=value), self.source)


@dataclass(frozen=True, slots=True)
class Subscore:
    code: str
    label: str
    value: int
    items: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "value": self.value,
            "items": list(self.items),
        }


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """A scored administration. Only complete, valid answers produce a result."""

    scale_code: str
    version: str
    total: int | None  # None where the instrument has no total (C-SSRS screener)
    severity: Severity | None  # band or risk level; None where no cited bands exist (CADSS)
    is_complete: bool
    flags: tuple[Flag, ...]
    items: tuple[Answer, ...]  # the answers as given; None only for items skipped by design
    subscores: tuple[Subscore, ...] = ()  # e.g. QIDS-SR16 domain scores
    data: tuple[tuple[str, Any], ...] = ()  # small scale-specific facts (MOAA/S, C-SSRS)

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)

    def has_flag(self, code: str) -> bool:
        return code in self.flag_codes

    def datum(self, key: str) -> Any:
        return dict(self.data)[key]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale_code": self.scale_code,
            "version": self.version,
            "total": self.total,
            "severity": self.severity.as_dict() if self.severity else None,
            "is_complete": self.is_complete,
            "flags": [f.as_dict() for f in self.flags],
            "items": list(self.items),
            "subscores": [s.as_dict() for s in self.subscores],
            "data": {key: list(v) if isinstance(v, tuple) else v for key, v in self.data},
        }


@dataclass(frozen=True, slots=True)
class ScaleDescription:
    """What an API listing shows about a scale (no patient data)."""

    code: str
    short_name: str
    name: str
    version: str
    kind: ScaleKind
    scoring: ScoringRule
    recall_period: str
    item_count: int
    items: tuple[ItemSpec, ...]
    min_total: int | None
    max_total: int | None
    bands: tuple[Band, ...]
    levels: tuple[Severity, ...]
    licence_note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "short_name": self.short_name,
            "name": self.name,
            "version": self.version,
            "kind": str(self.kind),
            "scoring": str(self.scoring),
            "recall_period": self.recall_period,
            "item_count": self.item_count,
            "items": [i.as_dict() for i in self.items],
            "min_total": self.min_total,
            "max_total": self.max_total,
            "bands": [b.as_dict() for b in self.bands],
            "levels": [lv.as_dict() for lv in self.levels],
            "licence_note": self.licence_note,
        }


Scorer = Callable[[Sequence[Answer]], ScaleResult]


@dataclass(frozen=True, slots=True)
class Instrument:
    """A rating scale declared as data. ``score`` validates, then applies ``scorer``."""

    code: str
    short_name: str  # as clinicians write it in prose, used in messages: "PHQ-9"
    name: str
    version: str
    kind: ScaleKind
    items: tuple[ItemSpec, ...]
    scoring: ScoringRule
    scorer: Scorer
    sources: tuple[Source, ...]
    recall_period: str = ""
    bands: tuple[Band, ...] = ()
    domains: tuple[Domain, ...] = ()
    flag_rules: tuple[ItemFlagRule, ...] = ()
    levels: tuple[Severity, ...] = ()  # possible categories for RISK_CATEGORY instruments
    licence_note: str = ""

    def __post_init__(self) -> None:
        # A spec that contradicts itself must fail at import, never at a patient's visit.
        numbers = [item.number for item in self.items]
        if numbers != list(range(1, len(self.items) + 1)):
            raise ValueError(f"{self.code}: items must be numbered 1..n in order")
        if self.scoring is ScoringRule.SUM_OF_DOMAIN_MAXIMA:
            covered = sorted(n for domain in self.domains for n in domain.items)
            if covered != numbers:
                raise ValueError(f"{self.code}: domains must cover every item exactly once")
        if self.scoring is ScoringRule.SINGLE_RATING and len(self.items) != 1:
            raise ValueError(f"{self.code}: a single rating has exactly one item")
        if self.bands:
            expected = self.min_total
            for band in self.bands:
                if band.min_total != expected or band.max_total < band.min_total:
                    raise ValueError(f"{self.code}: bands must be contiguous from the minimum")
                expected = band.max_total + 1
            if expected - 1 != self.max_total:
                raise ValueError(f"{self.code}: bands must end at the maximum total")
        for rule in self.flag_rules:
            if not 1 <= rule.item <= len(self.items):
                raise ValueError(f"{self.code}: flag rule {rule.code} names no item")

    @property
    def item_count(self) -> int:
        return len(self.items)

    def _domain_groups(self) -> tuple[tuple[int, ...], ...]:
        if self.scoring is ScoringRule.SUM_OF_DOMAIN_MAXIMA:
            return tuple(domain.items for domain in self.domains)
        return tuple((item.number,) for item in self.items)

    @property
    def min_total(self) -> int | None:
        if self.scoring is ScoringRule.RISK_CATEGORY:
            return None
        return sum(
            max(self.items[n - 1].min_value for n in group) for group in self._domain_groups()
        )

    @property
    def max_total(self) -> int | None:
        if self.scoring is ScoringRule.RISK_CATEGORY:
            return None
        return sum(
            max(self.items[n - 1].max_value for n in group) for group in self._domain_groups()
        )

    def score(self, items: Sequence[Answer]) -> ScaleResult:
        return self.scorer(items)

    def describe(self) -> ScaleDescription:
        return ScaleDescription(
            code=self.code,
            short_name=self.short_name,
            name=self.name,
            version=self.version,
            kind=self.kind,
            scoring=self.scoring,
            recall_period=self.recall_period,
            item_count=self.item_count,
            items=self.items,
            min_total=self.min_total,
            max_total=self.max_total,
            bands=self.bands,
            levels=self.levels or tuple(b.severity for b in self.bands),
            licence_note=self.licence_note,
        )


def _is_whole_number(value: object) -> bool:
    # bool is a subclass of int; a True/False answer is a form bug, not a score of 1/0.
    return isinstance(value, int) and not isinstance(value, bool)


def check_answers(instrument: Instrument, items: Sequence[Answer]) -> tuple[Answer, ...]:
    """Validate the answers against the spec; return them as a tuple.

    Raises ``InvalidClinicalInput``: ``items_malformed`` (not a list), ``wrong_item_count``,
    ``item_out_of_range`` (non-integer or not an allowed value) or ``item_missing`` (None for an
    item that is always asked). Every offending item is listed in ``details["problems"]``.
    """
    name = instrument.short_name
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise InvalidClinicalInput(
            "items_malformed",
            f"{name} answers must be a list of {instrument.item_count} item values.",
            {"scale": instrument.code},
        )
    answers = tuple(items)
    if len(answers) != instrument.item_count:
        raise InvalidClinicalInput(
            "wrong_item_count",
            f"{name} needs {instrument.item_count} items; got {len(answers)}.",
            {
                "scale": instrument.code,
                "expected": instrument.item_count,
                "received": len(answers),
            },
        )
    problems: list[dict[str, Any]] = []
    for spec, value in zip(instrument.items, answers, strict=True):
        if value is None:
            if not spec.skippable:
                problems.append(
                    {
                        "item": spec.number,
                        "code": "item_missing",
                        "message": (
                            f"{name} item {spec.number} is missing; every item must be "
                            "answered (scores are never pro-rated)"
                        ),
                    }
                )
        elif not _is_whole_number(value) or value not in spec.allowed_values:
            problems.append(
                {
                    "item": spec.number,
                    "code": "item_out_of_range",
                    "message": (
                        f"{name} item {spec.number} must be {spec.describe_allowed()}; "
                        f"got {value!r}"
                    ),
                }
            )
    if problems:
        raise_problems(instrument, problems)
    return answers


def raise_problems(instrument: Instrument, problems: Iterable[dict[str, Any]]) -> None:
    """Raise one ``InvalidClinicalInput`` listing every problem.

    The code is ``item_out_of_range`` if any value is invalid (bad data is the more urgent
    fix), otherwise the code of the first problem.
    """
    listed = list(problems)
    codes = [p["code"] for p in listed]
    code = "item_out_of_range" if "item_out_of_range" in codes else codes[0]
    raise InvalidClinicalInput(
        code,
        "; ".join(p["message"] for p in listed) + ".",
        {
            "scale": instrument.code,
            "items": [p["item"] for p in listed],
            "problems": listed,
        },
    )


def compute_total(instrument: Instrument, answers: Sequence[Answer]) -> int:
    """Total for SUM, SUM_OF_DOMAIN_MAXIMA and SINGLE_RATING instruments (answers validated)."""
    groups = instrument._domain_groups()
    total = 0
    for group in groups:
        values = [answers[n - 1] for n in group]
        if any(v is None for v in values):
            # check_answers lets None through only for skippable items; no scored
            # instrument has any, so this is a spec error, never a patient answer.
            raise ValueError(f"{instrument.code}: cannot total a skipped item")
        total += max(v for v in values if v is not None)
    return total


def band_for(instrument: Instrument, total: int) -> Band:
    for band in instrument.bands:
        if band.contains(total):
            return band
    raise ValueError(f"{instrument.code}: total {total} is outside every band")


def score_by_spec(
    instrument: Instrument,
    items: Sequence[Answer],
    *,
    extra_flags: Iterable[Flag] = (),
    data: tuple[tuple[str, Any], ...] = (),
) -> ScaleResult:
    """Validate, total, band and flag a scored instrument as its spec declares."""
    answers = check_answers(instrument, items)
    total = compute_total(instrument, answers)
    severity = band_for(instrument, total).severity if instrument.bands else None
    flags = tuple(f for rule in instrument.flag_rules if (f := rule.check(answers)) is not None)
    subscores = ()
    if instrument.scoring is ScoringRule.SUM_OF_DOMAIN_MAXIMA:
        subscores = tuple(
            Subscore(
                code=d.code,
                label=d.label,
                value=max(v for n in d.items if (v := answers[n - 1]) is not None),
                items=d.items,
            )
            for d in instrument.domains
        )
    return ScaleResult(
        scale_code=instrument.code,
        version=instrument.version,
        total=total,
        severity=severity,
        is_complete=True,
        flags=flags + tuple(extra_flags),
        items=answers,
        subscores=subscores,
        data=data,
    )
