"""One handler per error family; every error body is {"code", "message", "details"}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput


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
        code = {400: "bad_request", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return respond(request, exc.status_code, error_body(code, str(exc)))
