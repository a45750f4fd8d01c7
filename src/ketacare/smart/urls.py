"""SMART on FHIR: discovery at the FHIR base (and the site root), the OAuth 2.0 endpoints under
/oauth2/ (the toolkit's views; the authorization page with SMART's checks), and the chart's
launcher. The toolkit's application-management pages are not mounted: apps are registered
by a clinic admin (Django admin, or ``ketacare manage createapplication``)."""

from django.urls import include, path, re_path
from oauth2_provider import views as oauth

from ketacare.smart import views

oauth_patterns = (
    [
        path("authorize", views.SmartAuthorizeView.as_view(), name="authorize"),
        path("token", oauth.TokenView.as_view(), name="token"),
        path("revoke", oauth.RevokeTokenView.as_view(), name="revoke-token"),
        re_path(
            r"^\.well-known/openid-configuration$",
            oauth.ConnectDiscoveryInfoView.as_view(),
            name="oidc-connect-discovery-info",
        ),
        path(".well-known/jwks.json", oauth.JwksInfoView.as_view(), name="jwks-info"),
        path("userinfo", oauth.UserInfoView.as_view(), name="user-info"),
    ],
    "oauth2_provider",
)

urlpatterns = [
    path(
        "fhir/.well-known/smart-configuration",
        views.smart_configuration,
        name="smart-configuration",
    ),
    path(
        ".well-known/smart-configuration",
        views.smart_configuration,
        name="smart-configuration-root",
    ),
    path("oauth2/", include(oauth_patterns)),
    path("patients/<int:patient_id>/smart-apps", views.launch_page, name="smart-apps"),
    path(
        "patients/<int:patient_id>/smart-apps/<int:application_id>/launch",
        views.launch_app,
        name="smart-launch",
    ),
]
