"""The CapabilityStatement at /fhir/metadata, built from the server's registry.

It lists exactly what the views do: for each type in ``server.KINDS`` the interactions (read,
search-type, and create where ``writes.CREATORS`` has a handler), its search parameters and
``_include`` targets, plus the Bulk Data export operations. A test calls every listed
interaction and parameter, so the statement cannot drift from the code.

R4 4.0.1 CapabilityStatement (kind ``instance``, JSON only). The security section names the
SMART App Launch service when the SMART layer registers it (``SECURITY_EXTENSIONS``).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from ketacare.interop.fhir import server

# Base R4 SearchParameter canonicals for the standard parameters KetaCare serves.
_STANDARD = "http://hl7.org/fhir/SearchParameter/"
_DEFINITIONS = {
    ("Patient", "_id"): "Resource-id",
    ("Patient", "identifier"): "Patient-identifier",
    ("Patient", "name"): "Patient-name",
    ("Patient", "family"): "individual-family",
    ("Patient", "given"): "individual-given",
    ("Patient", "birthdate"): "individual-birthdate",
    ("Patient", "gender"): "individual-gender",
    ("Observation", "code"): "clinical-code",
    ("Observation", "date"): "clinical-date",
    ("Observation", "patient"): "clinical-patient",
    ("Observation", "category"): "Observation-category",
    ("Condition", "code"): "clinical-code",
    ("Condition", "patient"): "clinical-patient",
}

# When this statement last changed in substance (CapabilityStatement.date is required).
STATEMENT_DATE = "2026-12-02"

# Extensions the SMART layer (issue 12.3) adds to rest.security: its oauth-uris extension.
# System and type-level operations, registered by the module that serves them (bulk.py).
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
OPERATIONS: list[dict[str, str]] = []
TYPE_OPERATIONS: dict[str, list[dict[str, str]]] = {}

SECURITY_EXTENSIONS: list[Any] = []  # dicts, or callables (base URL) -> dict
SECURITY_SERVICES: list[dict[str, Any]] = []


def _interactions(kind: server.ResourceKind) -> list[dict[str, str]]:
    from ketacare.interop.fhir.writes import CREATORS

    out = [{"code": "read"}, {"code": "search-type"}]
    if kind.name in CREATORS:
        out.append({"code": "create"})
    return out


def _resource(kind: server.ResourceKind) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": kind.name,
        "interaction": _interactions(kind),
        "versioning": "no-version",
        "readHistory": False,
        "conditionalCreate": False,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [
            {
                "name": p.name,
                "type": p.type,
                "documentation": p.documentation,
                **(
                    {"definition": _STANDARD + _DEFINITIONS[(kind.name, p.name)]}
                    if (kind.name, p.name) in _DEFINITIONS
                    else {}
                ),
            }
            for p in kind.params
        ],
    }
    if kind.profiles:
        entry["supportedProfile"] = list(kind.profiles)
    if kind.includes:
        entry["searchInclude"] = list(kind.includes)
    if kind.name in TYPE_OPERATIONS:
        entry["operation"] = list(TYPE_OPERATIONS[kind.name])
    return entry


def capability_statement(base: str) -> dict[str, Any]:
    security: dict[str, Any] = {
        "cors": False,
        "description": (
            "Bearer tokens: KetaCare API tokens (scopes follow the user's role)"
            + (" or SMART on FHIR access tokens." if SECURITY_SERVICES else ".")
            + " Browser sessions of signed-in staff also work."
        ),
    }
    if SECURITY_SERVICES:
        security["service"] = SECURITY_SERVICES
    if SECURITY_EXTENSIONS:
        # An entry may be built from the base URL (absolute URIs of the SMART endpoints).
        security["extension"] = [e(base) if callable(e) else e for e in SECURITY_EXTENSIONS]
    return {
        "resourceType": "CapabilityStatement",
        "id": "ketacare",
        "url": f"{base}/metadata",
        "name": "KetaCareFhirServer",
        "title": "KetaCare FHIR R4 server",
        "status": "active",
        "experimental": False,
        "date": STATEMENT_DATE,
        "publisher": "KetaCare",
        "kind": "instance",
        "software": {"name": "KetaCare", "version": version("ketacare")},
        "implementation": {"description": "KetaCare clinic FHIR endpoint", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        **({"instantiates": [BULK_DATA]} if OPERATIONS else {}),
        "rest": [
            {
                "mode": "server",
                "security": security,
                "resource": [_resource(kind) for kind in server.KINDS.values()],
                **({"operation": list(OPERATIONS)} if OPERATIONS else {}),
            }
        ],
    }
