"""The FHIR R4 RESTful endpoints under /fhir (FHIR R4 §3.1.0 RESTful API, JSON only).

- ``GET /fhir/metadata``: the CapabilityStatement (no authentication, as the spec expects).
- ``GET /fhir/<Type>/<id>``: read. ``GET /fhir/<Type>?...`` and ``POST /fhir/<Type>/_search``
  (form-encoded): search, answering a ``searchset`` Bundle with ``total``, ``self``/``next``/
  ``previous`` links and ``_include``d resources (``search.mode`` include).
- ``POST /fhir/<Type>``: create, for the types ``writes.py`` accepts (201 with ``Location``).
- Bulk Data export (``bulk_views.py``): ``$export``, status, files.

Every answer is ``application/fhir+json``; every refusal an OperationOutcome with a 4xx status
(401 with ``WWW-Authenticate: Bearer`` when no valid credentials were sent). Handlers are thin:
authenticate (``access.principal_from_request``), call ``server`` or ``writes``, render.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit import context as audit_context
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.interop.fhir import server
from ketacare.interop.fhir.access import (
    FhirAuthenticationFailed,
    FhirPrincipal,
    ScopeRefused,
    principal_from_request,
)
from ketacare.interop.fhir.capability import capability_statement
from ketacare.interop.fhir.errors import FhirError, operation_outcome
from ketacare.interop.fhir.outbound import checked
from ketacare.interop.fhir.search import DEFAULT_COUNT, parse_count, parse_offset

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_JSON_TYPES = ("application/fhir+json", "application/json+fhir", "application/json", "*/*",
               "application/*")  # fmt: skip
_FORMATS = ("json", "application/json", "application/fhir+json", "application/json+fhir")


def fhir_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome_response(status: int, code: str, message: str, *, details_code: str | None = None,
                     headers: dict[str, str] | None = None) -> HttpResponse:  # fmt: skip
    return fhir_response(
        operation_outcome(code, message, details_code=details_code), status, headers
    )


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def _negotiate(request: HttpRequest) -> None:
    fmt = request.GET.get("_format")
    if fmt is not None and fmt not in _FORMATS:
        raise FhirError(406, "not-supported", "Only JSON is served (_format=json).")
    accept = request.headers.get("Accept", "")
    if accept:
        wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
        if not any(w in _JSON_TYPES or w == "application/fhir+ndjson" for w in wanted):
            raise FhirError(406, "not-supported", "Only application/fhir+json is served.")


def fhir_endpoint(methods: tuple[str, ...], *, public: bool = False) -> Callable:
    """Wrap a handler: allowed methods, audit channel, authentication, OperationOutcome errors."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # bearer tokens carry no cookie; session writes are CSRF-checked in access
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = audit_context.set_context(replace(audit_context.current(), channel="fhir"))
            try:
                if request.method not in methods:
                    return outcome_response(
                        405, "not-supported", f"{request.method} is not supported here.",
                        headers={"Allow": ", ".join(methods)},
                    )  # fmt: skip
                _negotiate(request)
                principal = None if public else principal_from_request(request)
                return view(request, principal, *args, **kwargs)
            except FhirAuthenticationFailed as exc:
                return outcome_response(
                    401, "login", str(exc), headers={"WWW-Authenticate": 'Bearer realm="fhir"'}
                )
            except ScopeRefused as exc:
                return outcome_response(403, "forbidden", exc.message, details_code="scope")
            except PermissionDenied as exc:
                return outcome_response(403, "forbidden", exc.message, details_code=exc.code)
            except NotFound as exc:
                return outcome_response(404, "not-found", exc.message, details_code="not_found")
            except FhirError as exc:
                return fhir_response(exc.outcome(), exc.status, exc.headers)
            except InvalidClinicalInput as exc:
                return outcome_response(422, "invalid", exc.message, details_code=exc.code)
            except GateBlocked as exc:
                return outcome_response(409, "business-rule", exc.message, details_code=exc.code)
            except Exception:  # never a traceback to a client: log it, answer an outcome
                log.exception("FHIR request failed: %s %s", request.method, request.path)
                return outcome_response(500, "exception", "The server could not answer.")
            finally:
                audit_context.reset_context(token)

        return wrapper

    return decorate


@fhir_endpoint(("GET",), public=True)
def metadata(request: HttpRequest, principal: None) -> HttpResponse:
    return fhir_response(capability_statement(base_url(request)))


@fhir_endpoint(("GET",))
def read(
    request: HttpRequest, principal: FhirPrincipal, resource_type: str, fhir_id: str
) -> HttpResponse:
    resource = server.read(principal, resource_type, fhir_id)
    return fhir_response(checked(resource))


@fhir_endpoint(("GET", "POST"))
def type_endpoint(
    request: HttpRequest, principal: FhirPrincipal, resource_type: str
) -> HttpResponse:
    if request.method == "POST":
        from ketacare.interop.fhir.writes import create

        resource = create(principal, resource_type, request.body, request.content_type)
        location = f"{base_url(request)}/{resource_type}/{resource['id']}"
        return fhir_response(checked(resource), 201, {"Location": location})
    return _search(request, principal, resource_type, list(_query_pairs(request.GET)))


@fhir_endpoint(("POST",))
def search_post(request: HttpRequest, principal: FhirPrincipal, resource_type: str) -> HttpResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        raise FhirError(415, "not-supported", "_search takes application/x-www-form-urlencoded.")
    pairs = list(_query_pairs(request.GET)) + list(_query_pairs(request.POST))
    return _search(request, principal, resource_type, pairs)


def _query_pairs(query: Any) -> Any:
    for name in query:
        for value in query.getlist(name):
            yield name, value


def _search(request: HttpRequest, principal: FhirPrincipal, resource_type: str,
            pairs: list[tuple[str, str]]) -> HttpResponse:  # fmt: skip
    count, offset, includes, params = DEFAULT_COUNT, 0, [], []
    for name, value in pairs:
        if name == "_count":
            count = parse_count(value)
        elif name == "_offset":
            offset = parse_offset(value)
        elif name == "_include":
            includes.append(value)
        elif name in ("_format",):
            continue
        else:
            params.append((name, value))
    strict = "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")
    result = server.search(
        principal, resource_type, params, count=count, offset=offset, includes=includes,
        strict=strict,
    )  # fmt: skip
    base = base_url(request)
    return fhir_response(
        search_bundle(base, resource_type, result, count=count, offset=offset, includes=includes)
    )


def search_bundle(base: str, resource_type: str, result: server.SearchResult, *, count: int,
                  offset: int, includes: list[str]) -> dict[str, Any]:  # fmt: skip
    def link(relation: str, at: int) -> dict[str, str]:
        query = [*result.used, *(("_include", i) for i in includes), ("_count", str(count))]
        if at:
            query.append(("_offset", str(at)))
        return {"relation": relation, "url": f"{base}/{resource_type}?{urlencode(query)}"}

    links = [link("self", offset)]
    if count and offset + count < result.total:
        links.append(link("next", offset + count))
    if offset and count:
        links.append(link("previous", max(0, offset - count)))
    entries = [
        {
            "fullUrl": f"{base}/{res['resourceType']}/{res['id']}",
            "resource": checked(res),
            "search": {"mode": "match"},
        }
        for res in result.resources
    ] + [
        {
            "fullUrl": f"{base}/{res['resourceType']}/{res['id']}",
            "resource": checked(res),
            "search": {"mode": "include"},
        }
        for res in result.included
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": result.total,
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle


@fhir_endpoint(("GET", "POST", "PUT", "PATCH", "DELETE"))
def unknown(request: HttpRequest, principal: FhirPrincipal, rest: str = "") -> HttpResponse:
    raise FhirError(404, "not-supported", "No such FHIR endpoint.")
