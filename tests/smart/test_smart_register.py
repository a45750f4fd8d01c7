"""Registering a SMART app from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import Application

from ketacare.smart.models import SmartAppLaunchUrl


def register(*args: str) -> str:
    out = StringIO()
    call_command("smart_register", *args, stdout=out)
    return out.getvalue()


def test_a_public_app_is_registered_with_its_launch_address(db):
    printed = register(
        "--name",
        "Mood tracker",
        "--redirect-uri",
        "https://mood.example/cb",
        "--launch-url",
        "https://mood.example/launch",
    )
    client_id = printed.split("client_id: ")[1].split()[0]
    app = Application.objects.get(client_id=client_id)
    assert app.client_type == Application.CLIENT_PUBLIC
    assert app.redirect_uri_allowed("https://mood.example/cb")
    assert (
        SmartAppLaunchUrl.objects.get(application=app).launch_url == "https://mood.example/launch"
    )
    assert "client_secret" not in printed


def test_a_confidential_app_gets_a_secret_shown_once(db):
    printed = register(
        "--name", "Registry sync", "--redirect-uri", "https://sync.example/cb", "--confidential"
    )
    secret = printed.split("client_secret: ")[1].split()[0]
    app = Application.objects.get(name="Registry sync")
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.client_secret != secret  # only its hash is stored


def test_a_bad_redirect_uri_registers_nothing(db):
    with pytest.raises(CommandError, match="redirect_uris"):
        register("--name", "Broken", "--redirect-uri", "ftp:/nowhere")
    assert not Application.objects.exists()
