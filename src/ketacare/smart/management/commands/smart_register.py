"""``ketacare manage smart_register``: register a SMART app with the clinic's FHIR server."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from ketacare.smart.models import SmartAppLaunchUrl


class Command(BaseCommand):
    help = (
        "Register a SMART app: prints its client_id (and, for a confidential app, its "
        "client_secret, shown once). Public apps (browser, phone) prove themselves with PKCE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The app's name, shown on consent")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirects",
            help="An allowed redirect URI (repeat for more)",
        )
        parser.add_argument(
            "--launch-url", default="", help="Where a chart's EHR launch opens the app (optional)"
        )
        parser.add_argument(
            "--confidential", action="store_true", help="A server-side app with a client secret"
        )

    def handle(self, *args, name, redirects, launch_url, confidential, **options):
        secret = generate_client_secret() if confidential else ""
        app = Application(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL
            if confidential
            else Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(redirects),
            algorithm=Application.RS256_ALGORITHM,
            client_secret=secret,
        )
        launch = SmartAppLaunchUrl(launch_url=launch_url) if launch_url else None
        try:
            app.full_clean(exclude=["user"])
            if launch is not None:
                launch.full_clean(exclude=["application"])
        except ValidationError as exc:
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"cannot register the app: {messages}") from None
        with transaction.atomic():
            app.save()
            if launch is not None:
                launch.application = app
                launch.save()
        self.stdout.write(f"client_id: {app.client_id}")
        if confidential:
            self.stdout.write(f"client_secret: {secret}  (shown once; only its hash is kept)")
