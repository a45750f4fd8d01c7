"""A test client for /fhir and helpers to read search Bundles (shared by every FHIR test)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone


class FhirClient:
    """Calls /fhir as one user with a KetaCare bearer token (None: no credentials)."""

    def __init__(self, user=None, token: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            from ketacare.accounts.services import issue_api_token

            token = issue_api_token(user=user)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        url = path if path.startswith(("/fhir", "http")) else f"/fhir/{path.lstrip('/')}"
        return self.client.get(
            url, data=params or None, headers={**self.headers, **(headers or {})}
        )

    def post(self, path: str, body: Any, content_type: str = "application/fhir+json",
             headers: dict[str, str] | None = None):  # fmt: skip
        url = path if path.startswith("/fhir") else f"/fhir/{path.lstrip('/')}"
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.client.post(
            url, data=data, content_type=content_type, headers={**self.headers, **(headers or {})}
        )

    def delete(self, path: str):
        return self.client.delete(path, headers=self.headers)


def entries(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def ids(bundle: dict[str, Any]) -> list[str]:
    return [r["id"] for r in entries(bundle)]


def at(days_ago: int) -> datetime:
    return timezone.now() - timedelta(days=days_ago)
