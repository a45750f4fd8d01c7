"""Response headers every page and API answer carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test.signals import setting_changed


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


_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
# (policy, its excluded prefixes, report-only policy, its excluded prefixes) from settings,
# built once: django-csp rebuilds the same strings from the same settings on every response.
_settings_policies: tuple[str, tuple[str, ...], str, tuple[str, ...]] | None = None


def _policies_from_settings() -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    global _settings_policies
    if _settings_policies is None:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
        _settings_policies = (
            build_policy(),
            tuple(enforced.get("EXCLUDE_URL_PREFIXES", None) or ()),
            build_policy(report_only=True),
            tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()),
        )
    return _settings_policies


@receiver(setting_changed)
def _forget_settings_policies(*, setting: str, **kwargs: Any) -> None:
    global _settings_policies
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        _settings_policies = None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the header built once from settings for every response
    that asks for nothing of its own (no nonce used, no ``csp_update``/``csp_replace``/
    ``csp_exempt``-style per-response policy): the same header, set under the same conditions
    (not over a header already there, not on an excluded prefix, not on DEBUG's 404/500
    pages). Any other response goes through django-csp unchanged."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE_POLICY
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        policy, excluded, policy_ro, excluded_ro = _policies_from_settings()
        path = request.path_info
        if (
            policy
            and HEADER not in response
            and getattr(response, "_csp_exempt", False) is False
            and not path.startswith(excluded)
        ):
            response[HEADER] = policy
        if (
            policy_ro
            and HEADER_REPORT_ONLY not in response
            and getattr(response, "_csp_exempt_ro", False) is False
            and not path.startswith(excluded_ro)
        ):
            response[HEADER_REPORT_ONLY] = policy_ro
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
