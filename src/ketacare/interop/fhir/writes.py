"""FHIR creates: ``CREATORS`` maps a resource type to its handler; the CapabilityStatement
lists ``create`` only for the types found here. A body is parsed once, bounded in size and depth,
before any handler sees it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ketacare.interop.fhir.access import FhirPrincipal, require_scope
from ketacare.interop.fhir.errors import FhirError

Json = dict[str, Any]
CREATORS: dict[str, Callable[[FhirPrincipal, Json], Json]] = {}
MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 20
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_body(body: bytes, content_type: str) -> Json:
    if content_type not in _JSON_TYPES:
        raise FhirError(415, "not-supported", "Send the resource as application/fhir+json.")
    if len(body) > MAX_BODY_BYTES:
        raise FhirError(413, "too-costly", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FhirError(400, "structure", "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise FhirError(400, "structure", "The body must be a JSON object (a FHIR resource).")
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise FhirError(400, "structure", f"The body is nested deeper than {MAX_DEPTH} levels.")
    return data


def create(principal: FhirPrincipal, resource_type: str, body: bytes, content_type: str) -> Json:
    handler = CREATORS.get(resource_type)
    if handler is None:
        raise FhirError(405, "not-supported", f"{resource_type} cannot be created here.")
    require_scope(principal, resource_type, "c")
    data = parse_body(body, content_type)
    if data.get("resourceType") != resource_type:
        raise FhirError(
            400, "invalid", f"The body's resourceType must be {resource_type}.",
            details_code="wrong_resource_type",
        )  # fmt: skip
    return handler(principal, data)


# The handlers register themselves in CREATORS (imported last: they use this module's names).
from ketacare.interop.fhir import creates as _creates  # noqa: E402, F401
