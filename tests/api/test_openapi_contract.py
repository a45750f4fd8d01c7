"""The published OpenAPI document is the contract clients and fuzzers are generated from:
each schema name stands for one model, and each operation's request body is the model its
handler validates (two `DoseCreate` models once made `POST /sessions/{id}/dose` show the
pharmacokinetics one)."""

from __future__ import annotations

import typing
from collections import defaultdict

import pytest
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema
from pydantic import BaseModel

from ketacare.api import api

DOCUMENT = api.get_openapi_schema(path_prefix="/api/v1")
COMPONENTS = DOCUMENT["components"]["schemas"]


def operations():
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            yield from (op for op in path_view.operations if op.include_in_schema)


def models_in(annotation, found: set[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            models_in(field.annotation, found)
    for arg in typing.get_args(annotation):
        models_in(arg, found)


def test_each_schema_name_stands_for_one_model():
    by_name: dict[str, set[str]] = defaultdict(set)
    for op in operations():
        found: set[type[BaseModel]] = set()
        for wrapper in op.models:  # ninja's per-source wrappers (body, query, path)
            for field in wrapper.model_fields.values():
                models_in(field.annotation, found)
        for response in op.response_models.values():
            if response is not None:
                models_in(response, found)
        for model in found:
            if model.__module__.startswith("ketacare."):
                by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    clashes = {name: sorted(paths) for name, paths in by_name.items() if len(paths) > 1}
    assert clashes == {}


def body_operations():
    by_id = {}
    for path, methods in DOCUMENT["paths"].items():
        for method, details in methods.items():
            by_id[details["operationId"]] = (method.upper(), path, details)
    for op in operations():
        for wrapper in op.models:
            if wrapper.__ninja_param_source__ != "body":
                continue
            hints = typing.get_type_hints(op.view_func)
            for param in wrapper.model_fields:
                method, path, details = by_id[api.get_openapi_operation_id(op)]
                yield pytest.param(hints[param], details, id=f"{method} {path}")


@pytest.mark.parametrize(("handler_model", "details"), list(body_operations()))
def test_request_body_in_the_document_is_the_handlers_model(handler_model, details):
    schema = details["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert name == handler_model.__name__
    expected = handler_model.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
    )
    published = COMPONENTS[name]
    assert published.get("properties") == expected.get("properties")
    assert published.get("required") == expected.get("required")


def test_each_declared_link_names_an_operation_and_its_parameters():
    by_id = {
        details["operationId"]: details
        for methods in DOCUMENT["paths"].values()
        for details in methods.values()
    }
    links = [
        (link, by_id.get(link["operationId"]))
        for methods in DOCUMENT["paths"].values()
        for details in methods.values()
        for response in details["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 7  # the create -> read pairs (patients, courses, plans, ...)
    for link, target in links:
        assert target is not None, link["operationId"]
        path_params = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == path_params, link["operationId"]
