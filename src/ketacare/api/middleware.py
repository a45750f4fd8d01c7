"""Every /api/v1 failure in the API's error shape, including the ones Django or ninja answer
before (or after) an API handler runs: an unknown path (404), a method the path does not
take (405, ninja's plain-text answer), an oversized body refused by Django (400) and an
error outside the handlers (500, which Django has already logged)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from ketacare.api.errors import error_body

API_PREFIX = "/api/"

_BY_STATUS = {
    400: ("bad_request", "The request could not be read."),
    401: ("not_authenticated", "Sign in or send a valid bearer token."),
    403: ("forbidden", "This request is not permitted."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This path does not accept that method."),
    413: ("request_body_too_large", "The request body is larger than this server accepts."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("too_many_requests", "Too many requests; try again later."),
    500: ("internal_error", "Something went wrong on the server. It was logged."),
}


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code, message = _BY_STATUS.get(
            status, ("server_error" if status >= 500 else "http_error", response.reason_phrase)
        )
        if status == 405:
            message = f"{message} Allowed: {response.get('Allow', '')}."
        shaped = JsonResponse(error_body(code, message), status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped
