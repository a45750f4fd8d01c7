"""FHIR R4 search parameter values: parsing and the errors of bad ones (FHIR R4 §3.1.1 Search).

- ``token``: ``[system]|[code]``, ``code`` alone (any system) or ``system|`` (any code in it);
  a comma separates alternatives (OR); repeating the parameter means AND.
- ``reference``: ``123``, ``Patient/123`` or an absolute URL ending ``Patient/123``.
- ``date``: a prefix (``eq ne gt lt ge le sa eb``; ``ap`` is refused) and a date or dateTime of
  any precision. The value is a range (``2025-03`` is all of March); a point in time matches as
  FHIR says: ``eq`` inside the range, ``ge`` at or after its start, ``gt``/``sa`` after its end,
  ``le`` before its end, ``lt``/``eb`` before its start, ``ne`` outside it. A date without a time
  zone is read in UTC (the spec leaves it to the server).
- ``_count``: page size, 0 to ``MAX_COUNT`` (0 answers with the total only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q

from ketacare.clinical.plausibility import is_ascii_digits
from ketacare.interop.fhir.errors import FhirError

DEFAULT_COUNT = 50
MAX_COUNT = 200
_DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})"
    r"(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True, slots=True)
class Token:
    system: str | None  # None: any system
    code: str | None  # None: any code of ``system``

    def matches(self, system: str, code: str) -> bool:
        return (self.system is None or self.system == system) and (
            self.code is None or self.code == code
        )


def parse_tokens(name: str, value: str) -> list[Token]:
    tokens = []
    for part in _split(value):
        if "|" in part:
            system, _, code = part.partition("|")
            # "|code": a code with no system (none of KetaCare's); "system|": any code in it.
            tokens.append(Token(system, code or None))
        else:
            tokens.append(Token(None, part))
        if not tokens[-1].system and tokens[-1].code is None:
            raise FhirError(400, "invalid", f"Search parameter {name} has an empty token.")
    return tokens


def _split(value: str) -> list[str]:
    # A backslash escapes a comma inside a value (FHIR §3.1.1.6).
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",").strip() for p in parts if p.strip()]


def parse_reference(name: str, value: str, resource_type: str) -> list[int]:
    """Ids of ``resource_type`` named by a reference parameter (OR of comma values)."""
    ids = []
    for part in _split(value):
        tail = part.rstrip("/").split("/")
        if len(tail) >= 2 and tail[-2] != resource_type:
            raise FhirError(
                400, "invalid", f"Search parameter {name} must reference a {resource_type}."
            )
        raw = tail[-1]
        if not is_ascii_digits(raw) or len(raw) > 18:
            ids.append(-1)  # a syntactically valid id KetaCare never issues: matches nothing
            continue
        ids.append(int(raw))
    if not ids:
        raise FhirError(400, "invalid", f"Search parameter {name} is empty.")
    return ids


@dataclass(frozen=True, slots=True)
class DateRange:
    prefix: str
    start: datetime  # inclusive
    end: datetime  # exclusive

    def q(self, field: str) -> Q:
        f = field
        match self.prefix:
            case "eq":
                return Q(**{f"{f}__gte": self.start, f"{f}__lt": self.end})
            case "ne":
                return Q(**{f"{f}__lt": self.start}) | Q(**{f"{f}__gte": self.end})
            case "gt" | "sa":
                return Q(**{f"{f}__gte": self.end})
            case "lt" | "eb":
                return Q(**{f"{f}__lt": self.start})
            case "ge":
                return Q(**{f"{f}__gte": self.start})
            case "le":
                return Q(**{f"{f}__lt": self.end})
        raise AssertionError(self.prefix)


def parse_date(name: str, value: str) -> DateRange:
    prefix = value[:2] if value[:2].isalpha() else "eq"
    text = value[2:] if value[:2].isalpha() else value
    if prefix == "ap":
        raise FhirError(400, "not-supported", f"The 'ap' prefix is not supported for {name}.")
    if prefix not in _DATE_PREFIXES:
        raise FhirError(400, "invalid", f"Unknown prefix {prefix!r} for {name}.")
    m = _DATE_RE.match(text)
    if m is None:
        raise FhirError(400, "invalid", f"Search parameter {name} is not a FHIR date: {text!r}.")
    try:
        start, end = _range(m)
    except ValueError as exc:
        raise FhirError(400, "invalid", f"Search parameter {name} is not a valid date.") from exc
    return DateRange(prefix, start, end)


def _range(m: re.Match[str]) -> tuple[datetime, datetime]:
    y = int(m["y"])
    if m["m"] is None:
        return datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC)
    mo = int(m["m"])
    if m["d"] is None:
        start = datetime(y, mo, 1, tzinfo=UTC)
        end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
        return start, end
    d = int(m["d"])
    if m["H"] is None:
        start = datetime(y, mo, d, tzinfo=UTC)
        return start, start + timedelta(days=1)
    tz = UTC
    if m["tz"] and m["tz"] != "Z":
        sign = 1 if m["tz"][0] == "+" else -1
        hh, mm = int(m["tz"][1:3]), int(m["tz"][4:6])
        from datetime import timezone

        tz = timezone(sign * timedelta(hours=hh, minutes=mm))
    H, M = int(m["H"]), int(m["M"])
    if m["S"] is None:
        start = datetime(y, mo, d, H, M, tzinfo=tz)
        return start, start + timedelta(minutes=1)
    S = int(m["S"])
    if m["f"]:
        micro = int((m["f"][1:] + "000000")[:6])
        start = datetime(y, mo, d, H, M, S, micro, tzinfo=tz)
        return start, start + timedelta(microseconds=1)
    start = datetime(y, mo, d, H, M, S, tzinfo=tz)
    return start, start + timedelta(seconds=1)


def parse_count(value: str) -> int:
    if not is_ascii_digits(value):
        raise FhirError(400, "invalid", "_count must be a whole number.")
    # A very long count is capped like any large one (int() refuses over 4300 digits).
    return MAX_COUNT if len(value) > 9 else min(int(value), MAX_COUNT)


def parse_offset(value: str) -> int:
    if not is_ascii_digits(value) or len(value) > 9:
        raise FhirError(400, "invalid", "_offset must be a whole number.")
    return int(value)
