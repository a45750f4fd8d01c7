"""django-oauth-toolkit's OAuth2 validator, taught SMART's scopes and launch context.

The toolkit (over oauthlib) does the OAuth: the authorization code grant, PKCE, client
authentication, token issue, refresh and revocation. This adds only what SMART asks of it:
scopes checked by their grammar, the patient in context carried from the authorization to
its tokens and named in the token response (``patient``), refresh tokens only with
``offline_access`` or ``online_access``, and the ``fhirUser`` claim in the id_token.

SMART Backend Services: a registered backend client (``BackendClient``) gets a token with the
client-credentials grant by a signed client assertion (``assertions.py``, ``private_key_jwt``)
and only that way, and only ``system/`` read scopes; no other client gets a ``system/`` scope.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from django.urls import reverse
from oauth2_provider.oauth2_validators import OAuth2Validator

from ketacare.accounts.models import Role
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.smart.assertions import ASSERTION_TYPE, AssertionRefused, verify_client_assertion
from ketacare.smart.models import BackendClient, SmartContext
from ketacare.smart.scopes import REFRESH_SCOPES, is_grantable, is_system_grantable

log = logging.getLogger(__name__)

PRACTITIONER_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})


def checksum(value: str) -> str:
    """How tokens and codes are looked up (the toolkit stores access tokens the same way)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def fhir_user_reference(user) -> str | None:
    """The FHIR resource that is this user: Patient for a portal login, Practitioner for
    clinicians; none for staff the FHIR server does not publish as practitioners."""
    if user.role == Role.PATIENT and user.patient_id is not None:
        return f"Patient/{user.patient_id}"
    if user.role in PRACTITIONER_ROLES:
        return f"Practitioner/{user.pk}"
    return None


class SmartValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "fhirUser": "fhirUser"}

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if getattr(request, "grant_type", None) == "client_credentials":
            return bool(scopes) and all(is_system_grantable(s) for s in scopes)
        return bool(scopes) and all(is_grantable(s) for s in scopes)

    def authenticate_client(self, request, *args, **kwargs):
        """A client assertion (SMART Backend Services) when one is sent; otherwise the
        toolkit's secret check, which a backend client never passes (its only credential is
        its key). False is answered ``invalid_client`` (401)."""
        assertion_type = getattr(request, "client_assertion_type", None)
        assertion = getattr(request, "client_assertion", None)
        if assertion_type is None and assertion is None:
            if not super().authenticate_client(request, *args, **kwargs):
                return False
            return not BackendClient.objects.filter(application=request.client).exists()
        if assertion_type != ASSERTION_TYPE or request.grant_type != "client_credentials":
            log.info("client assertion refused: wrong assertion type or grant")
            return False
        try:
            backend = verify_client_assertion(
                assertion or "",
                token_url=self._token_url(request),
                client_id=getattr(request, "client_id", None),
            )
        except AssertionRefused as exc:
            log.info("client assertion refused: %s", exc.reason)
            return False
        app = backend.application
        if app.user is None or not app.user.is_active:
            log.info("client assertion refused: the client's login is inactive")
            return False
        request.client = app
        request.client_id = app.client_id
        return True

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        SmartContext.objects.create(
            code_checksum=checksum(code["code"]),
            patient_id=getattr(request, "smart_patient_id", None),
            launch_id=getattr(request, "smart_launch_id", None),
        )

    def _token_url(self, request) -> str:
        """This server's token endpoint as an absolute URL (the assertion's ``aud``), built
        as discovery advertises it (the toolkit hands the validator only the path)."""
        parts = urlsplit(self.get_oidc_issuer_endpoint(request))
        return f"{parts.scheme}://{parts.netloc}{reverse('oauth2_provider:token')}"

    def _save_bearer_token(self, token, request, *args, **kwargs):
        scopes = set(token.get("scope", "").split())
        if not scopes & REFRESH_SCOPES:
            token.pop("refresh_token", None)  # SMART: refresh tokens only when asked for
        previous = self._previous_context(request)
        super()._save_bearer_token(token, request, *args, **kwargs)
        refresh = token.get("refresh_token")
        # One row per authorization: the code's context moves to its tokens, and to each
        # refreshed pair in turn (the old values stop resolving at once).
        context = previous or SmartContext()
        context.code_checksum = None
        context.access_checksum = checksum(token["access_token"])
        context.refresh_checksum = checksum(refresh) if refresh else None
        context.save()
        if context.patient_id is not None:
            token["patient"] = str(context.patient_id)
            token["need_patient_banner"] = True
        # A backend client's token has no user (client credentials): the login it acts for
        # is named instead.
        actor = request.client.user if request.grant_type == "client_credentials" else request.user
        record_write(
            actor=actor,
            action=AuditAction.TOKEN_ISSUED,
            target=request.client,
            patient_id=context.patient_id,
            summary=f"SMART access token for {request.client.name or request.client.client_id}"
            f" ({request.grant_type}): {token.get('scope', '')}",
            clinic_id=getattr(actor, "clinic_id", None),
        )

    def _previous_context(self, request) -> SmartContext | None:
        if request.grant_type == "authorization_code" and request.code:
            return SmartContext.objects.filter(code_checksum=checksum(request.code)).first()
        if request.grant_type == "refresh_token" and request.refresh_token:
            return SmartContext.objects.filter(
                refresh_checksum=checksum(request.refresh_token)
            ).first()
        return None

    def get_additional_claims(self, request):
        reference = fhir_user_reference(request.user)
        if reference is None:
            return {}
        parts = urlsplit(self.get_oidc_issuer_endpoint(request))  # this site's origin
        return {"fhirUser": f"{parts.scheme}://{parts.netloc}/fhir/{reference}"}
