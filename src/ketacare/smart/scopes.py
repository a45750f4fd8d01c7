"""The scopes KetaCare grants SMART apps (SMART App Launch 2.x, "Scopes and Launch Context").

Resource scopes are read-only: ``patient/<Type>.rs`` / ``user/<Type>.rs`` (any subset of
``r`` and ``s``), ``*`` for every type, and the 1.x form ``.read``. Creates through SMART are not
offered (a KetaCare API token or the clinic's own pages write). Besides these: ``openid`` and
``fhirUser`` (an id_token naming the user's FHIR resource), ``launch`` (EHR launch),
``launch/patient`` (standalone launch: the user picks the patient), ``offline_access`` and
``online_access`` (a refresh token; without one of them none is issued).

Backend clients (client credentials, SMART Backend Services) are granted ``system/<Type>.rs``
(or ``.read``, or ``*``) read scopes and nothing else; no user-facing app gets a system scope.
"""

from __future__ import annotations

from oauth2_provider.scopes import BaseScopes

from ketacare.interop.fhir.access import Scope

CONTEXT_SCOPES = {
    "openid": "Confirm who you are (OpenID Connect)",
    "fhirUser": "Know which person you are in the record (your FHIR resource)",
    "launch": "Open in the context of the chart it was launched from",
    "launch/patient": "Ask which patient to open",
    "offline_access": "Keep access after you sign out, until you revoke it",
    "online_access": "Keep access while you stay signed in",
}
REFRESH_SCOPES = frozenset({"offline_access", "online_access"})
READ_LETTERS = frozenset("rs")


def served_types() -> frozenset[str]:
    from ketacare.interop.fhir.server import KINDS

    return frozenset(KINDS)


def resource_scope(text: str) -> Scope | None:
    """The resource scope ``text`` names, if it is one KetaCare grants: a patient/ or user/
    context, a served type or ``*``, read and search letters only."""
    scope = Scope.parse(text)
    if scope is None or scope.context not in ("patient", "user"):
        return None
    if scope.resource_type != "*" and scope.resource_type not in served_types():
        return None
    if not scope.letters or not scope.letters <= READ_LETTERS:
        return None
    if "?" in text:
        return None  # query-constrained scopes (SMART 2): not granted rather than widened
    return scope


def is_grantable(text: str) -> bool:
    return text in CONTEXT_SCOPES or resource_scope(text) is not None


def system_scope(text: str) -> Scope | None:
    """The ``system/`` read scope ``text`` names, if KetaCare grants it to a backend client."""
    scope = Scope.parse(text)
    if scope is None or scope.context != "system" or "?" in text:
        return None
    if scope.resource_type != "*" and scope.resource_type not in served_types():
        return None
    if not scope.letters or not scope.letters <= READ_LETTERS:
        return None
    return scope


def is_system_grantable(text: str) -> bool:
    return system_scope(text) is not None


def describe(text: str) -> str:
    if text in CONTEXT_SCOPES:
        return CONTEXT_SCOPES[text]
    scope = resource_scope(text) or system_scope(text)
    if scope is None:
        return text
    what = "all records" if scope.resource_type == "*" else f"{scope.resource_type} records"
    verbs = " and ".join(
        word for letter, word in (("r", "read"), ("s", "search")) if letter in scope.letters
    )
    whose = {"patient": "of the patient in context", "user": "you may see"}.get(
        scope.context, "of the whole clinic (a backend system)"
    )
    return f"{verbs.capitalize()} {what} {whose}"


class _Descriptions(dict):
    """Every grantable scope has a description, including the ones built from a type."""

    def __missing__(self, key: str) -> str:
        return describe(key)


class SmartScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend. The toolkit checks requested scopes against
    ``get_available_scopes``; SMART's are a grammar, so the validator checks them instead
    (``validators.SmartValidator.validate_scopes``) and this lists the fixed ones."""

    def get_all_scopes(self):
        all_scopes = _Descriptions(CONTEXT_SCOPES)
        all_scopes.update(
            {"patient/*.rs": describe("patient/*.rs"), "user/*.rs": describe("user/*.rs")}
        )
        return all_scopes

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return list(self.get_all_scopes())

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return ["openid", "fhirUser"]
