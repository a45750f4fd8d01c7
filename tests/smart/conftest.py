"""A SMART app registered with the clinic, and the OAuth dance it does (SMART App Launch 2.x:
authorization code with PKCE S256), played with Django's test client as the browser and the
app's back end."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import Application

from ketacare.smart.models import SmartAppLaunchUrl

REDIRECT_URI = "https://mood-app.example/callback"
FHIR_BASE = "http://testserver/fhir"


@pytest.fixture
def mood_app(db) -> Application:
    """A public browser app (no secret: PKCE is its proof), signing-in with OpenID Connect."""
    app = Application.objects.create(
        name="Mood tracker",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        algorithm=Application.RS256_ALGORITHM,
    )
    SmartAppLaunchUrl.objects.create(application=app, launch_url="https://mood-app.example/launch")
    return app


@dataclass
class Authorization:
    """What the app keeps between the redirect and the token request."""

    verifier: str
    state: str
    params: dict[str, str]


def pkce_pair() -> tuple[str, str]:
    """RFC 7636 4.1-4.2: a random verifier and its S256 challenge, made here, not by KetaCare."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(app: Application, scope: str, **extra: str) -> Authorization:
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
        "aud": FHIR_BASE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return Authorization(verifier, state, params)


def authorize_url(auth: Authorization) -> str:
    return "/oauth2/authorize?" + urlencode(auth.params)


def approve(browser: Client, auth: Authorization, **form: str) -> dict[str, list[str]]:
    """Open the consent page, press Allow; the query of the redirect back to the app."""
    page = browser.get(authorize_url(auth))
    assert page.status_code == 200, page.content[:500]
    fields = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    response = browser.post("/oauth2/authorize", {**fields, "allow": "on", **form})
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return parse_qs(location.query)


def redirect_query(response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.content[:500]
    return parse_qs(urlsplit(response["Location"]).query)


def exchange(app: Application, code: str, verifier: str) -> tuple[int, dict]:
    """The app's back end trades the code for tokens."""
    response = Client().post(
        "/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    )
    return response.status_code, response.json()


def fhir_get(token: str, path: str):
    return Client().get(f"/fhir/{path}", HTTP_AUTHORIZATION=f"Bearer {token}")
