"""Reads: a SMART access token as a FHIR caller (``smart_principal``), and the apps a chart
may launch."""

from __future__ import annotations

from django.http import HttpRequest
from oauth2_provider.models import get_access_token_model

from ketacare.accounts.models import Role
from ketacare.interop.fhir.access import (
    FhirAuthenticationFailed,
    FhirPrincipal,
    Scope,
    bearer_token,
    role_scopes,
)
from ketacare.smart.models import SmartAppLaunchUrl, SmartContext
from ketacare.smart.scopes import resource_scope, served_types, system_scope
from ketacare.smart.validators import checksum


def smart_principal(request: HttpRequest) -> FhirPrincipal | None:
    """The caller behind a SMART access token, or None when the bearer is not one (a
    KetaCare API token, tried next). An expired or revoked SMART token is refused (401).

    What the token allows is what it was granted AND what the user's role allows: a token
    never reaches beyond its user. A token with a patient in context reads only that
    patient's compartment; a patient's own login is always confined to its own record."""
    token = bearer_token(request)
    if token is None:
        return None
    access = (
        get_access_token_model()
        .objects.select_related("user", "application", "application__user")
        .filter(token_checksum=checksum(token))
        .first()
    )
    if access is None:
        return None
    if access.user is None and access.application is not None:
        return _backend_principal(access)
    user = access.user
    if access.is_expired() or user is None or not user.is_active:
        raise FhirAuthenticationFailed("The access token has expired or was revoked.")
    context = SmartContext.objects.filter(access_checksum=access.token_checksum).first()
    patient_id = context.patient_id if context else None
    granted = [s for s in (resource_scope(t) for t in access.scope.split()) if s is not None]
    patient_scopes = [s for s in granted if s.context == "patient"]
    user_scopes = [s for s in granted if s.context == "user"]
    if user.role == Role.PATIENT:
        # A portal login's token: its own record, whatever the scopes' context says.
        patient_id = user.patient_id
        effective = _narrowed(patient_scopes + user_scopes, None, "patient")
    elif patient_id is not None and patient_scopes:
        # A token with both kinds is confined to the patient in context (the narrower).
        effective = _narrowed(patient_scopes, role_scopes(user), "patient")
    else:
        patient_id = None
        effective = _narrowed(user_scopes, role_scopes(user), "user")
    return FhirPrincipal(
        user=user,
        scopes=effective,
        patient_id=patient_id,
        via="smart",
        extra={"client_id": access.application.client_id if access.application else ""},
    )


def _backend_principal(access) -> FhirPrincipal:
    """A backend client's token (client credentials): ``system/`` scopes over the clinic of
    the login the client acts for, narrowed to what that login's role allows."""
    app = access.application
    user = app.user
    if access.is_expired() or user is None or not user.is_active or user.role == Role.PATIENT:
        raise FhirAuthenticationFailed("The access token has expired or was revoked.")
    granted = [s for s in (system_scope(t) for t in access.scope.split()) if s is not None]
    return FhirPrincipal(
        user=user,
        scopes=_narrowed(granted, role_scopes(user), "system"),
        via="smart-backend",
        extra={"client_id": app.client_id, "client_name": app.name},
    )


def _narrowed(
    granted: list[Scope], allowed: frozenset[Scope] | None, context: str
) -> frozenset[Scope]:
    """Per served type, the letters granted that the role allows too (``allowed`` None: the
    server's own checks confine the caller, as for a patient's login)."""
    out = set()
    for resource_type in served_types():
        letters = {ch for ch in "rs" if any(s.allows(resource_type, ch) for s in granted)}
        if allowed is not None:
            letters = {ch for ch in letters if any(a.allows(resource_type, ch) for a in allowed)}
        if letters:
            out.add(Scope(context, resource_type, frozenset(letters)))
    return frozenset(out)


def launchable_apps():
    """Registered SMART apps a chart can launch (confidential or public authorization-code
    clients with a launch URL)."""
    return (
        SmartAppLaunchUrl.objects.select_related("application")
        .filter(application__authorization_grant_type="authorization-code")
        .order_by("application__name")
    )
