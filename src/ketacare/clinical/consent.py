"""Informed-consent validity for a route of ketamine/esketamine treatment.

Implements ``has_valid_consent`` and ``consent_gate``. A consent is valid at ``as_of`` when the
patient signed that route's consent document at or before ``as_of``, has not withdrawn it by
``as_of``, and the version signed is the current one, or every version in force since then was
published as a non-material change (wording fixes need no re-consent; material changes do).

This is the clinic's policy (no treatment without valid consent), not a number from a
published source: findings carry ``CLINIC_CONSENT_POLICY`` (grade ``clinic``), so the
clinician sees where the rule comes from. The gate's blocker is not overridable.

What it deliberately does not do: judge capacity to consent, store the document text, or
treat a consent for one route as consent for another (IV ketamine consent does not cover
esketamine). Versions whose ``effective_at`` is after ``as_of`` are not yet in force and are
ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.sources import Grade, Source

# Where the consent rule comes from: the clinic's own published consent documents (no number
# from a published source; issue 16.5 shows it with its grade like every other reason).
CLINIC_CONSENT_POLICY = Source(
    key="clinic-consent",
    citation=(
        "The clinic's informed-consent documents: no treatment without a valid, current, signed "
        "consent for the route (clinic policy)"
    ),
    locator="Consent documents page: the clinic's published versions (material changes need "
    "a new signature)",
    grade=Grade.CLINIC,
)

CONSENT_VALID = "consent_valid"
CONSENT_MISSING = "consent_missing"
CONSENT_WITHDRAWN = "consent_withdrawn"
CONSENT_SUPERSEDED = "consent_superseded"


def _require_aware(value: object, field: str) -> None:
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None,
        "datetime_not_timezone_aware",
        f"'{field}' must be a timezone-aware date and time.",
        field=field,
    )


@dataclass(frozen=True, slots=True)
class ConsentDocumentVersion:
    """One published version of a route's consent document. ``material_change`` says whether
    this version changed the consent in substance compared with the one before it."""

    document_id: str
    route: Route
    version_number: int
    effective_at: datetime
    material_change: bool

    def __post_init__(self) -> None:
        require(
            isinstance(self.document_id, str) and bool(self.document_id.strip()),
            "consent_document_id_missing",
            "A consent document version needs its document id.",
        )
        require(
            isinstance(self.route, Route),
            "consent_route_invalid",
            "A consent document's route must be iv, im, sc, intranasal or oral.",
        )
        require(
            isinstance(self.version_number, int)
            and not isinstance(self.version_number, bool)
            and self.version_number >= 1,
            "consent_version_number_invalid",
            "A consent version number must be a whole number of at least 1.",
        )
        _require_aware(self.effective_at, "effective_at")
        require(
            isinstance(self.material_change, bool),
            "consent_material_change_invalid",
            "Say whether the consent version is a material change (true or false).",
        )


@dataclass(frozen=True, slots=True)
class ConsentSignature:
    version: ConsentDocumentVersion
    signed_at: datetime
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        require(
            isinstance(self.version, ConsentDocumentVersion),
            "consent_signature_invalid",
            "A consent signature must name the document version signed.",
        )
        _require_aware(self.signed_at, "signed_at")
        if self.withdrawn_at is not None:
            _require_aware(self.withdrawn_at, "withdrawn_at")
            require(
                self.withdrawn_at >= self.signed_at,
                "consent_withdrawn_before_signed",
                "A consent cannot be withdrawn before it was signed.",
            )


@dataclass(frozen=True, slots=True)
class ConsentStatus:
    """Whether consent is valid, why (stable code and message) and the signature relied on
    (or the one that explains the refusal)."""

    valid: bool
    code: str
    message: str
    signature: ConsentSignature | None


def _versions_for(
    versions_by_route: Mapping[Route, Iterable[ConsentDocumentVersion]], route: Route
) -> tuple[ConsentDocumentVersion, ...]:
    if not isinstance(versions_by_route, Mapping):
        raise InvalidClinicalInput(
            "consent_versions_invalid", "Consent versions must be given per route."
        )
    versions = tuple(versions_by_route.get(route, ()))
    numbers = set()
    for v in versions:
        require(
            isinstance(v, ConsentDocumentVersion) and v.route is route,
            "consent_versions_invalid",
            f"Every consent version listed for {route.value} must be a {route.value} version.",
        )
        require(
            v.version_number not in numbers,
            "consent_version_duplicated",
            f"Consent version {v.version_number} for {route.value} is listed twice.",
        )
        numbers.add(v.version_number)
    ordered = sorted(versions, key=lambda v: v.version_number)
    for earlier, later in pairwise(ordered):
        require(
            earlier.effective_at <= later.effective_at,
            "consent_versions_out_of_order",
            f"Consent version {later.version_number} for {route.value} takes effect before "
            f"version {earlier.version_number}.",
        )
    return tuple(ordered)


def _blocking_version(
    signature: ConsentSignature, in_force: tuple[ConsentDocumentVersion, ...]
) -> ConsentDocumentVersion | None:
    """The first in-force version after the one signed that changed the consent materially."""
    for v in in_force:
        if v.version_number > signature.version.version_number and v.material_change:
            return v
    return None


def has_valid_consent(
    signatures: Iterable[ConsentSignature],
    current_versions_by_route: Mapping[Route, Iterable[ConsentDocumentVersion]],
    route: Route,
    as_of: datetime,
) -> ConsentStatus:
    """Consent status for ``route`` at ``as_of``. ``current_versions_by_route`` lists every
    published version of each route's document (the history decides whether later versions
    were material)."""
    require(
        isinstance(route, Route),
        "consent_route_invalid",
        "The route must be iv, im, sc, intranasal or oral.",
    )
    _require_aware(as_of, "as_of")
    all_signatures = tuple(signatures)
    for s in all_signatures:
        require(
            isinstance(s, ConsentSignature),
            "consent_signature_invalid",
            "Every consent signature must be a signature record.",
        )
    versions = _versions_for(current_versions_by_route, route)
    known = {(v.document_id, v.version_number) for v in versions}
    in_force = tuple(v for v in versions if v.effective_at <= as_of)

    candidates = []
    for s in all_signatures:
        if s.version.route is not route or s.signed_at > as_of:
            continue
        require(
            (s.version.document_id, s.version.version_number) in known,
            "consent_version_unknown",
            f"A {route.value} consent signature refers to a document version that is not "
            "listed among the published versions.",
            document_id=s.version.document_id,
            version_number=s.version.version_number,
        )
        candidates.append(s)
    # Most recent first: the latest signature both wins when valid and explains a refusal.
    candidates.sort(key=lambda s: s.signed_at, reverse=True)

    for s in candidates:
        withdrawn = s.withdrawn_at is not None and s.withdrawn_at <= as_of
        if not withdrawn and _blocking_version(s, in_force) is None:
            return ConsentStatus(
                valid=True,
                code=CONSENT_VALID,
                message=(
                    f"Valid {route.value} consent (version {s.version.version_number}) "
                    "is on record."
                ),
                signature=s,
            )
    if not candidates:
        return ConsentStatus(
            valid=False,
            code=CONSENT_MISSING,
            message=f"No signed consent for {route.value} treatment is on record.",
            signature=None,
        )
    latest = candidates[0]
    if latest.withdrawn_at is not None and latest.withdrawn_at <= as_of:
        return ConsentStatus(
            valid=False,
            code=CONSENT_WITHDRAWN,
            message=(
                f"The patient withdrew consent for {route.value} treatment; a new signed "
                "consent is needed."
            ),
            signature=latest,
        )
    # Not valid and not withdrawn: a material version in force superseded it.
    blocking = _blocking_version(latest, in_force)
    superseded_by = blocking.version_number if blocking is not None else "a later version"
    return ConsentStatus(
        valid=False,
        code=CONSENT_SUPERSEDED,
        message=(
            f"The {route.value} consent signed (version {latest.version.version_number}) was "
            f"superseded by a material change in version {superseded_by}; the "
            "patient must re-consent."
        ),
        signature=latest,
    )


def consent_gate(
    signatures: Iterable[ConsentSignature],
    current_versions_by_route: Mapping[Route, Iterable[ConsentDocumentVersion]],
    route: Route,
    as_of: datetime,
) -> GateDecision:
    """Gate: a non-overridable blocker (consent_missing / consent_withdrawn /
    consent_superseded) unless consent for ``route`` is valid at ``as_of``."""
    status = has_valid_consent(signatures, current_versions_by_route, route, as_of)
    if status.valid:
        return GateDecision()
    data: tuple[tuple[str, object], ...] = (("route", route.value),)
    if status.signature is not None:
        data += (("signed_version", status.signature.version.version_number),)
    return GateDecision(
        blockers=(
            Finding(
                code=status.code,
                message=status.message,
                source=CLINIC_CONSENT_POLICY,
                overridable=False,  # no treatment without consent, whoever asks
                data=data,
            ),
        )
    )
