"""One handler per error family; every error body is {"code", "message", "details"}."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.json_body import JsonBodyError, too_large

logger = logging.getLogger("ketacare.api")


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def _jsonable_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(p) for p in err.get("loc", [])],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


def register_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(InvalidClinicalInput)
    def invalid_input(request, exc: InvalidClinicalInput):
        return respond(request, 422, error_body(exc.code, exc.message, exc.details))

    @api.exception_handler(GateBlocked)
    def gate_blocked(request, exc: GateBlocked):
        return respond(request, 409, error_body(exc.code, exc.message, exc.details))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc: PermissionDenied):
        return respond(request, 403, error_body(exc.code, exc.message))

    @api.exception_handler(NotFound)
    def not_found(request, exc: NotFound):
        return respond(request, 404, error_body("not_found", exc.message))

    @api.exception_handler(Http404)
    def http404(request, exc):
        return respond(request, 404, error_body("not_found", "No such resource."))

    @api.exception_handler(NinjaValidationError)
    def validation(request, exc: NinjaValidationError):
        errors = _jsonable_errors(exc.errors)
        first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
        where = ".".join(p for p in first["loc"] if p not in {"body", "payload", "query", "path"})
        message = f"{where}: {first['msg']}" if where else first["msg"]
        return respond(request, 422, error_body("invalid_input", message, {"errors": errors}))

    @api.exception_handler(DjangoValidationError)
    def model_validation(request, exc: DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return respond(
            request, 422, error_body("invalid_input", "Invalid input.", {"fields": fields})
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(
            request, 401, error_body("not_authenticated", "Sign in or send a valid bearer token.")
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja wraps the body parser's refusal in a generic 400; answer with its own words.
        if isinstance(exc.__cause__, JsonBodyError):
            return body_refused(request, exc.__cause__)
        code = {400: "bad_request", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return respond(request, exc.status_code, error_body(code, str(exc)))

    @api.exception_handler(JsonBodyError)
    def body_refused(request, exc: JsonBodyError):
        return respond(request, exc.status, error_body(exc.code, exc.message))

    @api.exception_handler(RequestDataTooBig)
    def body_too_large(request, exc):
        return body_refused(request, too_large())

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        return internal_error(request, exc)


def internal_error(request: HttpRequest, exc: BaseException | None) -> JsonResponse:
    """500 in the API's shape: the traceback goes to the log under an id the client can
    quote, never into the response."""
    incident = uuid.uuid4().hex[:12]
    logger.error(
        "internal error %s on %s %s",
        incident,
        request.method,
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None,
    )
    return JsonResponse(
        error_body(
            "internal_error",
            "Something went wrong on the server. It was logged; quote this id to support.",
            {"incident": incident},
        ),
        status=500,
    )
