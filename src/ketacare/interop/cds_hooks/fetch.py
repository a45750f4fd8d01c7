"""Fetch what the CDS client did not prefetch from its FHIR server (CDS Hooks 2.0, "FHIR
Resource Access"): when a prefetch key is missing or ``null``, the service may query
``fhirServer`` itself with the ``fhirAuthorization`` access token.

- each prefetch template is filled with ``context.patientId`` and read with GET
  ``{fhirServer}/{query}``, ``Accept: application/fhir+json``, the bearer token when one is
  given; search Bundles are followed through their ``next`` links (at most ``MAX_PAGES``);
- every request has a timeout and all of them share one time budget (``BUDGET_SECONDS``), so a
  slow EHR cannot hold a KetaCare worker; redirects are not followed (the token must not leak
  to another host);
- ``fhirServer`` must be https (http only with ``KETACARE_CDS_HOOKS_ALLOW_HTTP_FHIR``, for tests
  against a local server) and, when the client's configuration lists ``fhir_servers``, start
  with one of them;
- a key that cannot be obtained (error, timeout, not a FHIR resource) stays missing: the
  caller answers 412 only then.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

from ketacare.json_body import JsonBodyError, parse_json

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 5
BUDGET_SECONDS = 10
MAX_PAGES = 5
MAX_RESPONSE_BYTES = 5 * 1024 * 1024


class FetchRefused(Exception):
    """The request's fhirServer / fhirAuthorization cannot be used (answer 400)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def check_server(fhir_server: Any, authorization: Any, allowed: list[str] | None) -> str | None:
    """The base URL to query, or None when the request gave none; FetchRefused when unusable."""
    if authorization is not None:
        if fhir_server is None:
            raise FetchRefused("fhirAuthorization needs fhirServer.")
        if not isinstance(authorization, dict) or not isinstance(
            authorization.get("access_token"), str
        ):
            raise FetchRefused("fhirAuthorization needs an access_token.")
        if str(authorization.get("token_type", "Bearer")).lower() != "bearer":
            raise FetchRefused("fhirAuthorization token_type must be Bearer.")
    if fhir_server is None:
        return None
    if not isinstance(fhir_server, str):
        raise FetchRefused("fhirServer must be a URL.")
    parts = urlsplit(fhir_server)
    http_ok = bool(getattr(settings, "KETACARE_CDS_HOOKS_ALLOW_HTTP_FHIR", False))
    if not parts.netloc or parts.scheme not in (("https", "http") if http_ok else ("https",)):
        raise FetchRefused("fhirServer must be an https URL.")
    if allowed and not any(fhir_server.startswith(a) for a in allowed):
        raise FetchRefused("fhirServer is not one this client is configured for.")
    return fhir_server.rstrip("/") + "/"


def _get(url: str, token: str | None, deadline: float) -> dict[str, Any] | None:
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    request = urllib.request.Request(url, headers={"Accept": "application/fhir+json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(request, timeout=min(REQUEST_TIMEOUT_SECONDS, left)) as response:
            if response.status != 200:
                return None
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except Exception as exc:  # any failure to read means "not obtained", never a 500
        log.info("CDS fetch %s failed: %s", url, exc)
        return None
    if len(raw) > MAX_RESPONSE_BYTES:
        return None
    try:
        data = parse_json(raw)
    except JsonBodyError:
        return None
    return data if isinstance(data, dict) and "resourceType" in data else None


def _same_server(base: str, url: str) -> bool:
    return urlsplit(url).netloc == urlsplit(base).netloc


def _read(base: str, query: str, token: str | None, deadline: float) -> dict[str, Any] | None:
    first = _get(urljoin(base, query), token, deadline)
    if first is None or first.get("resourceType") != "Bundle":
        return first
    entries = list(first.get("entry") or [])
    page = first
    for _ in range(MAX_PAGES - 1):
        nxt = next(
            (link.get("url") for link in page.get("link") or [] if link.get("relation") == "next"),
            None,
        )
        if not isinstance(nxt, str) or not _same_server(base, nxt):
            break
        page = _get(nxt, token, deadline)
        if page is None or page.get("resourceType") != "Bundle":
            return None  # a partial list could hide a contraindication: not obtained
        entries.extend(page.get("entry") or [])
    else:
        if any(link.get("relation") == "next" for link in page.get("link") or []):
            return None  # more pages than we read: not obtained in full
    return {**first, "entry": entries, "link": []}


def fill_missing(
    prefetch: Any,
    templates: dict[str, str],
    *,
    base: str | None,
    authorization: dict[str, Any] | None,
    patient_id: str,
) -> dict[str, Any]:
    """The prefetch with each missing or null key fetched from ``base`` where possible."""
    out = dict(prefetch) if isinstance(prefetch, dict) else {}
    missing = [k for k in templates if not isinstance(out.get(k), dict)]
    if base is None or not missing:
        return out
    token = authorization.get("access_token") if authorization else None
    deadline = time.monotonic() + BUDGET_SECONDS
    for key in missing:
        query = templates[key].replace("{{context.patientId}}", quote(patient_id, safe=""))
        got = _read(base, query, token, deadline)
        if got is not None and got.get("resourceType") != "OperationOutcome":
            out[key] = got
    return out
