"""CDS Hooks 2.0 endpoints at the site root (not under /api/v1: EHRs call them directly).

- ``GET /cds-services``: discovery (``services``: hook, id, title, description, prefetch).
- ``POST /cds-services/ketacare-treatment-recommendation``: patient-view. Needs a valid bearer
  JWT from a configured EHR (401 otherwise), a JSON request with ``hook`` = patient-view,
  ``hookInstance`` and ``context.patientId`` (400 otherwise) and the four prefetch keys. A
  key missing or ``null`` is fetched from ``fhirServer`` with ``fhirAuthorization``
  (``fetch``: bounded time); 412 with the keys only when they cannot be obtained. Never reads
  KetaCare's patient records, so an EHR can call it for any patient. Answers
  ``{"cards": [...]}``.
- ``POST /cds-services/ketacare-treatment-recommendation/feedback``: ``{"feedback": [...]}``
  with ``card``, ``outcome`` (accepted|overridden), ``acceptedSuggestions``,
  ``overrideReason`` and ``outcomeTimestamp``; recorded and audited.

Clinic capabilities for the EHR's patients come from ``KETACARE_CDS_HOOKS_CLINIC`` (setting:
a dict of ``ClinicCapabilities`` fields); by default every option is offered or referred.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ketacare.audit.services import record_refused
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.recommendations import (
    ClinicCapabilities,
    TreatmentOption,
    recommend_treatment,
)
from ketacare.interop import services
from ketacare.interop.cds_hooks import fetch, orders
from ketacare.interop.cds_hooks.auth import CdsAuthError, fhir_servers, verify_request_jwt
from ketacare.interop.cds_hooks.cards import (
    build_cards,
    build_reading_cards,
    smart_links,
    with_links,
)
from ketacare.interop.fhir.inbound import (
    InvalidPrefetch,
    MissingPrefetch,
    parse_prefetch,
    read_prefetch,
)
from ketacare.json_body import JsonBodyError, read_json_body

SERVICE_ID = "ketacare-treatment-recommendation"
HOOK = "patient-view"
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationStatement?patient={{context.patientId}}",
    # Optional: without it, hypersensitivity stays an unconfirmed fact (never 412).
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
}
DISCOVERY = {
    "services": [
        {
            "hook": HOOK,
            "id": SERVICE_ID,
            "title": "KetaCare treatment recommendation",
            "description": (
                "Ranks esketamine, IV/IM ketamine, ECT and rTMS for a patient with depression, "
                "with reasons, cautions, exclusions and cited evidence (decision support)."
            ),
            "prefetch": PREFETCH,
            "usageRequirements": (
                "Send a bearer JWT signed with an asymmetric key (ES384 or RS384 recommended; "
                "kid required) whose public JWKS KetaCare has configured for your issuer; aud "
                "is this service's URL, exp at most 5 minutes after iat, a fresh jti each call."
            ),
        }
    ]
}
_OUTCOMES = {"accepted", "overridden"}


def _error(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "details": details}, status=status)


class _BadBody(Exception):
    def __init__(self, error: JsonBodyError) -> None:
        self.error = error


def _body(request: HttpRequest) -> Any:
    """The JSON body through the one safe reader (media type, size, depth, strict JSON)."""
    try:
        return read_json_body(request)
    except JsonBodyError as exc:
        raise _BadBody(exc) from exc


def _bad_body(exc: _BadBody) -> JsonResponse:
    return _error(exc.error.status, exc.error.code, exc.error.message)


# CORS (CDS Hooks 2.0: browser-based CDS clients need it). Requests carry a bearer JWT, not
# cookies, so any origin may call; credentials are never allowed.
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


def _cors(response: HttpResponse) -> HttpResponse:
    for name, value in _CORS.items():
        response[name] = value
    return response


def cors(view):
    """Answer a CORS preflight (OPTIONS) and add the CORS headers to every answer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            return _cors(HttpResponse(status=204))
        return _cors(view(request, *args, **kwargs))

    return csrf_exempt(wrapped)


def _clinic() -> ClinicCapabilities:
    configured = dict(getattr(settings, "KETACARE_CDS_HOOKS_CLINIC", {}) or {})
    defaults = {
        "offers_iv_ketamine": True,
        "offers_im_ketamine": True,
        "esketamine_rems_certified": True,
        "ect_referral": True,
        "rtms_referral": True,
    }
    defaults.update(configured)
    defaults["self_pay_options"] = frozenset(
        TreatmentOption(o) for o in defaults.get("self_pay_options", ())
    )
    return ClinicCapabilities(**defaults)


def _authorised(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    try:
        return verify_request_jwt(
            request.headers.get("Authorization"), request.build_absolute_uri(request.path)
        )
    except CdsAuthError as exc:
        # A refused access leaves an audit entry (the reason is for operators, not the caller).
        record_refused(
            actor=None,
            target=("interop.CdsService", request.path[:100]),
            patient_id=None,
            codes=["cds_client_unauthorised"],
            summary=f"CDS call refused: {exc.reason}"[:200],
        )
        return _error(401, "cds_client_unauthorised", str(exc))


@cors
@require_http_methods(["GET"])
def discovery(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"services": [*DISCOVERY["services"], *orders.discovery()]})


def _prefetch_reading(
    body: dict[str, Any], claims: dict[str, Any], templates: dict[str, str], patient_id: str
) -> tuple[dict[str, Any], Any] | JsonResponse:
    try:
        base = fetch.check_server(
            body.get("fhirServer"),
            body.get("fhirAuthorization"),
            fhir_servers(str(claims.get("iss"))),
        )
    except fetch.FetchRefused as exc:
        return _error(400, "cds_request_invalid", str(exc))
    prefetch = fetch.fill_missing(
        body.get("prefetch"),
        templates,
        base=base,
        authorization=body.get("fhirAuthorization"),
        patient_id=patient_id,
    )
    try:
        parsed = parse_prefetch(prefetch)
        reading = read_prefetch(parsed, as_of=timezone.now(), clinic=_clinic())
    except MissingPrefetch as exc:
        return _error(412, "prefetch_missing", str(exc), missing=exc.keys)
    except (InvalidPrefetch, InvalidClinicalInput) as exc:
        return _error(400, getattr(exc, "code", "prefetch_invalid"), str(exc))
    return prefetch, reading


def _order_service(request: HttpRequest, service_id: str) -> JsonResponse:
    claims = _authorised(request)
    if isinstance(claims, JsonResponse):
        return claims
    try:
        body = _body(request)
    except _BadBody as exc:
        return _bad_body(exc)
    hook = orders.HOOKS[service_id]
    context = body.get("context") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or body.get("hook") != hook
        or not isinstance(body.get("hookInstance"), str)
        or not isinstance(context, dict)
        or not isinstance(context.get("patientId"), str)
    ):
        return _error(
            400,
            "cds_request_invalid",
            f"Send hook={hook}, hookInstance, context.patientId and context.draftOrders.",
        )
    try:
        drafts = orders.draft_orders(context, hook)
    except orders.OrderRequestInvalid as exc:
        return _error(400, "cds_request_invalid", str(exc))
    if not drafts:
        return JsonResponse({"cards": []})
    got = _prefetch_reading(body, claims, orders.ORDER_PREFETCH, context["patientId"])
    if isinstance(got, JsonResponse):
        return got
    prefetch, reading = got
    cards = orders.order_cards(
        drafts, reading, prefetch, rems_certified=_clinic().esketamine_rems_certified
    ) + build_reading_cards(reading)
    with_links(
        cards,
        smart_links(context["patientId"], getattr(settings, "KETACARE_SMART_LAUNCH_URL", None)),
    )
    services.record_cds_cards_issued(
        cards=cards,
        service_id=service_id,
        hook_instance=body["hookInstance"],
        client_iss=str(claims.get("iss")),
    )
    return JsonResponse({"cards": cards})


@cors
@require_http_methods(["POST"])
def patient_view(request: HttpRequest, service_id: str) -> JsonResponse:
    if service_id in orders.HOOKS:
        return _order_service(request, service_id)
    if service_id != SERVICE_ID:
        return _error(404, "not_found", "No such CDS service.")
    claims = _authorised(request)
    if isinstance(claims, JsonResponse):
        return claims
    try:
        body = _body(request)
    except _BadBody as exc:
        return _bad_body(exc)
    context = body.get("context") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or body.get("hook") != HOOK
        or not isinstance(body.get("hookInstance"), str)
        or not isinstance(context, dict)
        or not isinstance(context.get("patientId"), str)
    ):
        return _error(
            400,
            "cds_request_invalid",
            "Send hook=patient-view, hookInstance and context.patientId.",
        )
    got = _prefetch_reading(body, claims, PREFETCH, context["patientId"])
    if isinstance(got, JsonResponse):
        return got
    _prefetch, reading = got
    as_of = reading.input.as_of
    cards = build_cards(
        recommend_treatment(reading.input), patient_id=context["patientId"], as_of=as_of
    ) + build_reading_cards(reading)
    with_links(
        cards,
        smart_links(context["patientId"], getattr(settings, "KETACARE_SMART_LAUNCH_URL", None)),
    )
    services.record_cds_cards_issued(
        cards=cards,
        service_id=SERVICE_ID,
        hook_instance=body["hookInstance"],
        client_iss=str(claims.get("iss")),
    )
    return JsonResponse({"cards": cards})


def _parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("outcomeTimestamp needs a time zone")
    return when


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _override_reason_valid(value: Any) -> bool:
    """``overrideReason``: an object with an optional ``reason`` Coding (``code`` and
    ``system`` strings, optional ``display``) and an optional ``userComment`` string."""
    if value is None:
        return True
    if not isinstance(value, dict) or set(value) - {"reason", "userComment"}:
        return False
    reason, comment = value.get("reason"), value.get("userComment")
    if comment is not None and not isinstance(comment, str):
        return False
    if reason is None:
        return True
    return (
        isinstance(reason, dict)
        and isinstance(reason.get("code"), str)
        and isinstance(reason.get("system"), str)
        and isinstance(reason.get("display", ""), str)
    )


def _feedback_items_valid(items: Any) -> bool:
    if not isinstance(items, list) or not items:
        return False
    for item in items:
        if not isinstance(item, dict) or item.get("outcome") not in _OUTCOMES:
            return False
        if not isinstance(item.get("card"), str) or not isinstance(
            item.get("outcomeTimestamp"), str
        ):
            return False
        accepted = item.get("acceptedSuggestions")
        if item["outcome"] == "accepted" and not isinstance(accepted, list):
            return False
        if accepted is not None and not (
            isinstance(accepted, list)
            and all(isinstance(a, dict) and _is_uuid(a.get("id")) for a in accepted)
        ):
            return False
        if not _override_reason_valid(item.get("overrideReason")):
            return False
        try:
            _parse_time(item["outcomeTimestamp"])
            uuid.UUID(item["card"])
        except ValueError:
            return False
    return True


@cors
@require_http_methods(["POST"])
def feedback(request: HttpRequest, service_id: str) -> JsonResponse:
    if service_id != SERVICE_ID and service_id not in orders.HOOKS:
        return _error(404, "not_found", "No such CDS service.")
    claims = _authorised(request)
    if isinstance(claims, JsonResponse):
        return claims
    try:
        body = _body(request)
    except _BadBody as exc:
        return _bad_body(exc)
    items = body.get("feedback") if isinstance(body, dict) else None
    if not _feedback_items_valid(items):
        return _error(
            400,
            "cds_feedback_invalid",
            "Send feedback items with card (uuid), outcome (accepted|overridden), "
            "outcomeTimestamp and, when accepted, acceptedSuggestions.",
        )
    try:
        services.record_cds_feedback(
            service_id=service_id,
            items=items,
            client_iss=str(claims.get("iss")),
            parse_time=_parse_time,
        )
    except services.UnknownCard:
        return _error(404, "cds_card_unknown", "No card with that uuid was issued here.")
    except services.UnknownSuggestion as exc:
        return _error(
            400,
            "cds_suggestion_unknown",
            "An accepted suggestion is not one of that card's suggestions.",
            unknown=exc.args[0],
        )
    return JsonResponse({})
