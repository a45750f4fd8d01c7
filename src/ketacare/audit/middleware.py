from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ketacare.audit.context import RequestContext, reset_context, set_context


class RequestContextMiddleware:
    """Records where each request came from, for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_context(
            RequestContext(
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                request_id=request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex,
                channel=channel,
            )
        )
        try:
            return self.get_response(request)
        finally:
            reset_context(token)
