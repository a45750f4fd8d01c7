"""Response headers every page and API answer carries."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response that passes through Django's views:
    pages, the API, /fhir, /cds-services and whatever is added later. Patient data must not
    stay in a shared workstation's browser cache or a proxy. Static files (served by
    WhiteNoise above this middleware) keep their own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response
