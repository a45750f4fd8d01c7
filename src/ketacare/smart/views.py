"""SMART App Launch endpoints: discovery, the authorization page, and the chart's EHR launch.

The OAuth endpoints themselves (token, revoke, JWKS, OpenID discovery) are the toolkit's
views, mounted in ``urls.py``; the authorization page is the toolkit's with SMART's checks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error

from ketacare.access import NotFound
from ketacare.accounts.models import Role
from ketacare.accounts.permissions import Permission, PermissionDenied
from ketacare.patients.selectors import access_patient, list_patients
from ketacare.smart import assertions, selectors, services
from ketacare.smart.forms import SmartAllowForm
from ketacare.smart.scopes import describe, resource_scope
from ketacare.web.pages import requires, staff_page

# SMART App Launch 2.x, "Conformance": what this server does, as capability codes.
CAPABILITIES = [
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "context-ehr-patient",
    "context-standalone-patient",
    "sso-openid-connect",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
]


# The CapabilityStatement's rest.security (SMART App Launch 2.x: discovery is the well-known
# file; the service code and the oauth-uris extension are kept for clients that look here).
security_service = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
            "code": "SMART-on-FHIR",
        }
    ],
    "text": "OAuth2 using the SMART App Launch profile",
}


def oauth_uris_extension(base: str) -> dict:
    origin = base.removesuffix("/fhir")
    return {
        "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
        "extension": [
            {"url": "authorize", "valueUri": f"{origin}/oauth2/authorize"},
            {"url": "token", "valueUri": f"{origin}/oauth2/token"},
            {"url": "revoke", "valueUri": f"{origin}/oauth2/revoke"},
        ],
    }


def fhir_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


@require_GET
def smart_configuration(request: HttpRequest) -> JsonResponse:
    """``/.well-known/smart-configuration`` (at the FHIR base, and at the site root)."""
    url = request.build_absolute_uri
    response = JsonResponse(
        {
            "issuer": url(reverse("oauth2_provider:oidc-connect-discovery-info")).rsplit(
                "/.well-known", 1
            )[0],
            "jwks_uri": url(reverse("oauth2_provider:jwks-info")),
            "authorization_endpoint": url(reverse("oauth2_provider:authorize")),
            "token_endpoint": url(reverse("oauth2_provider:token")),
            "revocation_endpoint": url(reverse("oauth2_provider:revoke-token")),
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            "token_endpoint_auth_signing_alg_values_supported": list(assertions.ALGORITHMS),
            "scopes_supported": [
                "openid",
                "fhirUser",
                "launch",
                "launch/patient",
                "offline_access",
                "online_access",
                "patient/*.rs",
                "user/*.rs",
                "patient/*.read",
                "user/*.read",
                "system/*.rs",
                "system/*.read",
            ],
            "code_challenge_methods_supported": ["S256"],
            "capabilities": CAPABILITIES,
        }
    )
    response["Access-Control-Allow-Origin"] = "*"  # public discovery, read by browser apps
    return response


def _oauth_error(code: str, description: str, credentials: dict) -> OAuthToolkitError:
    error = CustomOAuth2Error(code, description=description, state=credentials.get("state"))
    error.redirect_uri = credentials.get("redirect_uri")
    return OAuthToolkitError(error=error, redirect_uri=credentials.get("redirect_uri"))


class SmartAuthorizeView(AuthorizationView):
    """The toolkit's authorization endpoint (signed-in users only: the sign-in and its second
    factor come first), with SMART's rules: ``aud`` must be this FHIR server, PKCE with S256
    only, ``launch`` resolves to the chart's patient, ``launch/patient`` asks which patient
    (a patient's own login: always its own record), and a portal login gets no user/ scope."""

    template_name = "smart/authorize.html"
    form_class = SmartAllowForm

    def _smart_context(self, params, scopes, credentials, *, use: bool) -> dict:
        if params.get("aud", "").rstrip("/") != fhir_base(self.request):
            raise _oauth_error(
                "invalid_request", "aud must be this server's FHIR base URL.", credentials
            )
        if params.get("code_challenge_method") != "S256":
            raise _oauth_error(
                "invalid_request", "PKCE with code_challenge_method S256 is required.", credentials
            )
        user = self.request.user
        if user.role == Role.PATIENT and any(
            (s := resource_scope(t)) and s.context == "user" for t in scopes
        ):
            raise _oauth_error(
                "invalid_scope", "A patient's login is granted patient/ scopes only.", credentials
            )
        context: dict = {"smart_patient_id": None, "smart_launch_id": None}
        if "launch" in scopes:
            launch = services.claim_launch(
                actor=user,
                code=params.get("launch", ""),
                client_id=credentials.get("client_id", ""),
                use=use,
            )
            if launch is None:
                raise _oauth_error(
                    "invalid_request",
                    "The launch is unknown, expired, used, or not yours.",
                    credentials,
                )
            context.update(smart_patient_id=launch.patient_id, smart_launch_id=launch.pk)
        elif "launch/patient" in scopes:
            if user.role == Role.PATIENT:
                context["smart_patient_id"] = user.patient_id
            elif params.get("patient"):
                # Staff chose a patient: through the access function (clinic, permission, audit).
                try:
                    patient = access_patient(user, int(params["patient"]), purpose="SMART launch")
                except (NotFound, PermissionDenied, ValueError):
                    raise _oauth_error(
                        "invalid_request", "That patient cannot be opened.", credentials
                    ) from None
                context["smart_patient_id"] = patient.pk
        return context

    def validate_authorization_request(self, request):
        scopes, credentials = super().validate_authorization_request(request)
        self.smart = self._smart_context(request.GET, scopes, credentials, use=False)
        return scopes, credentials

    def get_initial(self):
        initial = super().get_initial()
        initial.update(
            aud=self.request.GET.get("aud", ""), launch=self.request.GET.get("launch", "")
        )
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scopes = context.get("scopes") or []
        context["scope_lines"] = [describe(s) for s in scopes]
        smart = getattr(self, "smart", {})
        context["needs_patient_choice"] = (
            "launch/patient" in scopes
            and "launch" not in scopes
            and self.request.user.role != Role.PATIENT
        )
        if context["needs_patient_choice"]:
            search = self.request.GET.get("patient_search", "")
            context["patients"], _ = list_patients(self.request.user, search=search, limit=50)
            context["patient_search"] = search
        context["patient_in_context"] = smart.get("smart_patient_id")
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        scopes = data.get("scope", "").split()
        credentials = {
            "state": data.get("state"),
            "redirect_uri": data.get("redirect_uri"),
            "client_id": data.get("client_id"),
        }
        application = (
            get_application_model().objects.filter(client_id=data.get("client_id")).first()
        )
        params = {
            **{k: data.get(k) or "" for k in ("aud", "launch", "code_challenge_method")},
            "patient": data.get("patient") or "",
        }
        try:
            if data.get("allow"):
                self.smart = self._smart_context(params, scopes, credentials, use=True)
                if "launch/patient" in scopes and self.smart["smart_patient_id"] is None:
                    raise _oauth_error(
                        "invalid_request", "Choose the patient to open.", credentials
                    )
            else:
                self.smart = {"smart_patient_id": None, "smart_launch_id": None}
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        if application is not None:
            services.record_authorization(
                actor=self.request.user,
                application=application,
                scopes=" ".join(scopes),
                patient_id=self.smart["smart_patient_id"],
                allowed=bool(data.get("allow")),
            )
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        credentials = {**credentials, **getattr(self, "smart", {})}
        return super().create_authorization_response(request, scopes, credentials, allow)


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)  # the app's scopes are narrowed to the user's role
@require_GET
def launch_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The SMART apps a clinician can open from this patient's chart."""
    patient = access_patient(request.user, patient_id, purpose="SMART apps")
    return render(
        request, "smart/launch.html", {"patient": patient, "apps": selectors.launchable_apps()}
    )


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
@require_http_methods(["POST"])
def launch_app(request: HttpRequest, patient_id: int, application_id: int) -> HttpResponse:
    url = services.start_ehr_launch(
        actor=request.user,
        patient_id=patient_id,
        application_id=application_id,
        fhir_base=fhir_base(request),
    )
    return redirect(url)
