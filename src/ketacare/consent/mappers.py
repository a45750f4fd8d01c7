"""Consent rows to the core's consent types (``ketacare.clinical.consent``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ketacare.clinical.consent import ConsentDocumentVersion as CoreVersion
from ketacare.clinical.consent import ConsentSignature as CoreSignature
from ketacare.clinical.eligibility.routes import Route
from ketacare.consent.models import ConsentDocumentVersion, ConsentSignature


def version_to_core(version: ConsentDocumentVersion) -> CoreVersion:
    """Needs ``version.document`` loaded (select_related)."""
    return CoreVersion(
        document_id=str(version.document_id),
        route=Route(version.document.route),
        version_number=version.version_number,
        effective_at=version.effective_at,
        material_change=version.material_change,
    )


def signature_to_core(signature: ConsentSignature) -> CoreSignature:
    """Needs ``signature.version.document`` loaded (select_related)."""
    return CoreSignature(
        version=version_to_core(signature.version),
        signed_at=signature.signed_at,
        withdrawn_at=signature.withdrawn_at,
    )


def versions_by_route(
    versions: Iterable[ConsentDocumentVersion],
) -> dict[Route, tuple[CoreVersion, ...]]:
    grouped: dict[Route, list[CoreVersion]] = defaultdict(list)
    for version in versions:
        core = version_to_core(version)
        grouped[core.route].append(core)
    return {route: tuple(items) for route, items in grouped.items()}
