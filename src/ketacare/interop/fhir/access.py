"""Who is calling the FHIR server, and what they may do: the one seam every /fhir view uses.

``principal_from_request(request)`` turns a request into a ``FhirPrincipal``: the KetaCare user,
the SMART scopes granted, and the patient context (``patient_id``, or None). Each entry of
``AUTHENTICATORS`` is tried in order; the first that recognises the credentials answers:

- ``api_token_principal``: KetaCare's own bearer API tokens (``Authorization: Bearer ...``);
- ``session_principal``: a signed-in browser session (CSRF checked for unsafe methods).

Both grant ``user/<Type>.<letters>`` scopes for exactly what the user's role allows, so a token
adds nothing a role does not have. SMART access tokens (issue 12.3) plug in here: a function
``(request) -> FhirPrincipal | None`` registered with ``register_authenticator`` (placed before
the KetaCare token, which would not recognise a SMART token anyway), returning the scopes the
token was granted and the launch's patient context. The views never look at credentials.

Decisions are made twice, as in the API: the scope must allow the interaction on the resource
type (``require_scope``), and the apps' access functions still check the role's permission and
the clinic, audit the read, and answer "not found" for another clinic's record.

Scope syntax: SMART App Launch 2.x (``patient/Observation.rs``, ``user/*.cruds``,
``system/*.rs``) and the 1.x forms (``.read``, ``.write``, ``.*``), which SMART 2 keeps valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, has_permission

# The permission that guards clinical resources here: the broadest clinical read of the JSON
# API (the treatment record), so FHIR never shows more than the API would (issue 14: front
# desk, clinic admins and therapists read Patient and the reference types only).
CLINICAL_READ = Permission.VIEW_TREATMENT

_V1_LETTERS = {"read": "rs", "write": "cud", "*": "cruds"}
_LETTERS = "cruds"


class FhirAuthenticationFailed(Exception):
    """Credentials were presented but are not valid (401)."""


class ScopeRefused(Exception):
    """The caller is authenticated but its scopes do not allow this interaction (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Scope:
    """One SMART scope: ``context/resource.letters`` (letters a subset of c r u d s)."""

    context: str  # patient | user | system
    resource_type: str  # a FHIR type or "*"
    letters: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Scope | None:
        """None for scopes that are not resource scopes (openid, launch, fhirUser, ...)."""
        head, sep, rest = text.partition("/")
        if not sep or head not in ("patient", "user", "system"):
            return None
        resource, dot, perms = rest.partition(".")
        if not dot or not resource:
            return None
        perms = perms.split("?", 1)[0]  # SMART 2 query-constrained scopes: not narrowed here
        if perms in _V1_LETTERS:
            letters = _V1_LETTERS[perms]
        elif perms and all(ch in _LETTERS for ch in perms):
            letters = perms
        else:
            return None
        return cls(head, resource, frozenset(letters))

    def allows(self, resource_type: str, letter: str) -> bool:
        return self.resource_type in ("*", resource_type) and letter in self.letters

    def __str__(self) -> str:
        letters = "".join(ch for ch in _LETTERS if ch in self.letters)
        return f"{self.context}/{self.resource_type}.{letters}"


def parse_scopes(text: str) -> frozenset[Scope]:
    return frozenset(s for s in (Scope.parse(t) for t in text.split()) if s is not None)


@dataclass(frozen=True, slots=True)
class FhirPrincipal:
    """The caller of a FHIR interaction.

    ``patient_id``: the patient context of a ``patient/`` scope (SMART launch), or None. When set,
    every read and search is confined to that patient. ``via``: how the caller signed in
    (``session``, ``api_token``, ``smart``), recorded in the audit summary.
    """

    user: User
    scopes: frozenset[Scope]
    patient_id: int | None = None
    via: str = "api_token"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def allows(self, resource_type: str, letter: str) -> bool:
        return any(s.allows(resource_type, letter) for s in self.scopes)


def require_scope(principal: FhirPrincipal, resource_type: str, letter: str) -> None:
    """Refuse unless a granted scope covers ``letter`` (c r u d s) on ``resource_type``."""
    if not principal.allows(resource_type, letter):
        what = {"r": "read", "s": "search", "c": "create", "u": "update", "d": "delete"}[letter]
        raise ScopeRefused(f"The access granted does not allow {what} of {resource_type}.")


# --- what a role may do, as scopes -------------------------------------------------------------

# Resource types whose reads need the clinical-read permission (everything but the patient's
# demographics, the clinic's practitioners, and the scales' definitions).
CLINICAL_TYPES = (
    "Condition",
    "Observation",
    "QuestionnaireResponse",
    "MedicationRequest",
    "MedicationAdministration",
    "MedicationStatement",
    "AdverseEvent",
    "Consent",
    "CarePlan",
    "Encounter",
    "Provenance",
)
REFERENCE_TYPES = ("Practitioner", "Questionnaire")

# Creates the FHIR server accepts, each with the permission of the service behind it.
CREATE_PERMISSIONS: dict[str, Permission] = {
    "Observation": Permission.RECORD_ASSESSMENT,
    "QuestionnaireResponse": Permission.RECORD_ASSESSMENT,
    "Condition": Permission.RECORD_CLINICAL_HISTORY,
    "MedicationStatement": Permission.RECORD_CLINICAL_HISTORY,
}


def role_scopes(user: User) -> frozenset[Scope]:
    """``user/`` scopes for what the user's role allows (KetaCare tokens and sessions)."""
    grants: dict[str, set[str]] = {}

    def grant(resource_type: str, letters: str) -> None:
        grants.setdefault(resource_type, set()).update(letters)

    if user.role == Role.PATIENT:
        return frozenset()  # patients use the portal, or a SMART patient launch
    if has_permission(user, Permission.VIEW_PATIENT):
        grant("Patient", "rs")
        for name in REFERENCE_TYPES:
            grant(name, "rs")
    if has_permission(user, CLINICAL_READ):
        for name in CLINICAL_TYPES:
            grant(name, "rs")
    if has_permission(user, Permission.VIEW_AUDIT) and user.role == Role.CLINIC_ADMIN:
        grant("AuditEvent", "rs")
    for name, permission in CREATE_PERMISSIONS.items():
        if has_permission(user, permission):
            grant(name, "c")
    return frozenset(Scope("user", name, frozenset(letters)) for name, letters in grants.items())


# --- authenticators ----------------------------------------------------------------------------

Authenticator = Callable[[HttpRequest], "FhirPrincipal | None"]


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_token_principal(request: HttpRequest) -> FhirPrincipal | None:
    from ketacare.accounts.services import user_for_token

    token = bearer_token(request)
    if token is None:
        return None
    user = user_for_token(token)
    if user is None:
        return None
    return FhirPrincipal(user=user, scopes=role_scopes(user), via="api_token")


def session_principal(request: HttpRequest) -> FhirPrincipal | None:
    if "Authorization" in request.headers:
        return None  # a bearer credential that no authenticator took is refused, not ignored
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from ninja.utils import check_csrf

        if check_csrf(request) is not None:
            raise FhirAuthenticationFailed("CSRF check failed for a session-authenticated write.")
    return FhirPrincipal(user=user, scopes=role_scopes(user), via="session")


AUTHENTICATORS: list[Authenticator] = [api_token_principal, session_principal]


def register_authenticator(authenticator: Authenticator, *, first: bool = True) -> None:
    """Add a way of signing in (SMART access tokens); tried before the others by default."""
    if authenticator in AUTHENTICATORS:
        return
    if first:
        AUTHENTICATORS.insert(0, authenticator)
    else:
        AUTHENTICATORS.append(authenticator)


def principal_from_request(request: HttpRequest) -> FhirPrincipal:
    """The caller, or ``FhirAuthenticationFailed`` (401) when none is recognised."""
    for authenticate in AUTHENTICATORS:
        principal = authenticate(request)
        if principal is not None:
            return principal
    raise FhirAuthenticationFailed("Authentication is required.")
