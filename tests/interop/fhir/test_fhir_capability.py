"""The CapabilityStatement lists exactly what works: every interaction and search parameter it
names is called against the demo clinic and must find the resource it was derived from, and a
value no record has must not (so a parameter that is silently ignored fails)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.fhir_client import FhirClient, entries

pytestmark = pytest.mark.django_db

STRICT = {"Prefer": "handling=strict"}
NOWHERE = {
    "token": "http://example.org/none|none",
    "reference": "Patient/0",
    "string": "zzzzzz",
    "uri": "http://example.org/none",
}


def _date_of(resource: dict[str, Any], param: str) -> str | None:
    paths = {
        "date": ("effectiveDateTime", "date", "dateTime", "created", "recorded", "period.start"),
        "birthdate": ("birthDate",),
        "onset-date": ("onsetDateTime",),
        "authoredon": ("authoredOn",),
        "effective-time": ("effectiveDateTime", "effectivePeriod.start"),
        "authored": ("authored",),
        "recorded": ("recorded",),
    }[param]
    for path in paths:
        value: Any = resource
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            return value
    return None


def _value_for(resource: dict[str, Any], name: str, ptype: str) -> str | None:
    """A search value that ``resource`` satisfies, taken from the resource itself."""
    if name == "_id":
        return resource["id"]
    if name in ("patient", "subject"):
        ref = resource.get("subject") or resource.get("patient") or {}
        if resource["resourceType"] == "Patient":
            return f"Patient/{resource['id']}"
        if resource["resourceType"] in ("Provenance", "AuditEvent"):
            for entity in resource.get("entity", []) + [
                {"what": t} for t in resource.get("target", [])
            ]:
                ref_text = entity.get("what", {}).get("reference", "")
                if ref_text.startswith("Patient/"):
                    return ref_text
            return None
        return ref.get("reference")
    if name == "code":
        concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
        if isinstance(concept, list):
            concept = {"coding": concept}
        coding = (concept.get("coding") or [None])[0]
        return f"{coding['system']}|{coding['code']}" if coding else None
    if name == "category":
        cats = resource.get("category") or []
        return cats[0]["coding"][0]["code"] if cats and cats[0].get("coding") else None
    if name == "status":
        return resource.get("status")
    if name == "clinical-status":
        return resource["clinicalStatus"]["coding"][0]["code"]
    if name == "identifier":
        ident = resource["identifier"][0]
        return f"{ident['system']}|{ident['value']}"
    if name in ("name", "family"):
        return resource["name"][0].get("family")
    if name == "given":
        return resource["name"][0]["given"][0]
    if name == "gender":
        return resource["gender"]
    if name in ("encounter", "context"):
        return (resource.get("encounter") or resource.get("context") or {}).get("reference")
    if name == "request":
        return resource.get("request", {}).get("reference")
    if name == "questionnaire":
        return resource["questionnaire"]
    if name == "target":
        return resource["target"][0]["reference"]
    if name == "action":
        return resource["action"]
    if name == "url":
        return resource["url"]
    if ptype == "date":
        when = _date_of(resource, name)
        return when[:10] if when else None
    raise AssertionError(f"no value rule for search parameter {name!r}: add one")


def _all(client: FhirClient, resource_type: str, **params: str) -> list[dict[str, Any]]:
    """Every match, following the next links (each page answered 200 in strict handling)."""
    response = client.get(resource_type, headers=STRICT, _count="200", **params)
    found = []
    while True:
        assert response.status_code == 200, (resource_type, params, response.content[:300])
        bundle = response.json()
        found += entries(bundle)
        nxt = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not nxt:
            return found
        response = client.get(nxt[0], headers=STRICT)


def test_every_listed_interaction_and_search_parameter_works(demo_clinic):
    users = demo_clinic
    statement = FhirClient().get("metadata").json()
    [rest] = statement["rest"]
    checked_params = 0
    for entry in rest["resource"]:
        rtype = entry["type"]
        client = FhirClient(users["admin" if rtype == "AuditEvent" else "prescriber"])
        interactions = {i["code"] for i in entry["interaction"]}
        assert {"read", "search-type"} <= interactions, rtype
        found = _all(client, rtype)
        assert found, f"the demo clinic has no {rtype} to check against"
        # read: each of the first page reads back identically
        sample = found[0]
        read = client.get(f"{rtype}/{sample['id']}")
        assert read.status_code == 200, (rtype, read.content[:300])
        assert read.json() == sample
        for param in entry["searchParam"]:
            name, ptype = param["name"], param["type"]
            target = next((r for r in found if _value_for(r, name, ptype) is not None), None)
            assert target is not None, f"no {rtype} in the demo to try {name} on"
            value = _value_for(target, name, ptype)
            if ptype == "date":
                value = f"eq{value}"
            hits = _all(client, rtype, **{name: value})
            assert target["id"] in [r["id"] for r in hits], (rtype, name, value)
            miss_value = "lt1900-01-01" if ptype == "date" else NOWHERE[ptype]
            if name == "_id":
                miss_value = "no-such-id-0"
            elif ptype == "reference":
                miss_value = value.rsplit("/", 1)[0] + "/0"  # the same type, an id never issued
            misses = _all(client, rtype, **{name: miss_value})
            assert target["id"] not in [r["id"] for r in misses], (rtype, name, "ignored?")
            checked_params += 1
        for include in entry.get("searchInclude", []):
            patient_ref = next(
                (_value_for(r, "subject", "reference") or _value_for(r, "patient", "reference")
                 for r in found), None,
            )  # fmt: skip
            bundle = client.get(
                rtype, headers=STRICT, _include=include,
                **{include.split(":")[1]: patient_ref},
            ).json()  # fmt: skip
            included = [r["resourceType"] for r in entries(bundle, "include")]
            assert included == ["Patient"], (rtype, include)
    assert checked_params >= 40
