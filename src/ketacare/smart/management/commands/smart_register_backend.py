"""``ketacare manage smart_register_backend``: register a SMART Backend Services client."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from ketacare.accounts.models import Role, User
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.smart.assertions import ALGORITHMS
from ketacare.smart.models import BackendClient


def _jwks(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        keys = jwt.PyJWKSet.from_dict(data).keys
    except (OSError, ValueError, jwt.PyJWTError) as exc:
        raise CommandError(f"cannot read a JWK Set from {path}: {exc}") from None
    if any(k.key_id is None for k in keys):
        raise CommandError("every key of the JWK Set needs a kid")
    if any("d" in k._jwk_data for k in keys):
        raise CommandError("the JWK Set holds a private key: register the public keys only")
    if any(k._jwk_data.get("alg") not in (None, *ALGORITHMS) for k in keys):
        raise CommandError(f"keys sign with {' or '.join(ALGORITHMS)}")
    return data


class Command(BaseCommand):
    help = (
        "Register a SMART Backend Services client (a system such as a data warehouse that "
        "pulls Bulk Data exports): it authenticates with a JWT signed by its private key, "
        "checked against the public JWK Set given here (or published at --jwks-url). It acts "
        "for --user: that login's clinic bounds what it reads, its role narrows the system/ "
        "scopes, and the audit trail names it. Prints the client_id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The client's name (audit, admin)")
        parser.add_argument(
            "--user", required=True, help="Username of the staff login the client acts for"
        )
        keys = parser.add_mutually_exclusive_group(required=True)
        keys.add_argument("--jwks-file", help="A file holding the client's public JWK Set")
        keys.add_argument("--jwks-url", help="The https URL the client publishes its JWKS at")

    def handle(self, *args, name, user, jwks_file, jwks_url, **options):
        login = User.objects.filter(username=user, is_active=True).first()
        if login is None or login.role == Role.PATIENT:
            raise CommandError(f"no active staff login {user!r}")
        if jwks_url and not jwks_url.startswith("https://"):
            raise CommandError("--jwks-url must be https")
        app = Application(
            name=name,
            user=login,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            redirect_uris="",
            # Never shown: a backend client's only credential is its key (the validator
            # refuses a secret for it anyway).
            client_secret=generate_client_secret(),
        )
        backend = BackendClient(
            jwks=_jwks(jwks_file) if jwks_file else None, jwks_url=jwks_url or ""
        )
        try:
            app.full_clean()
        except ValidationError as exc:
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"cannot register the client: {messages}") from None
        with transaction.atomic():
            app.save()
            backend.application = app
            backend.save()
            record_write(
                actor=login,
                action=AuditAction.CREATE,
                target=app,
                summary=f"SMART backend client {name!r} registered, acting for {login.username}",
            )
        self.stdout.write(f"client_id: {app.client_id}")
