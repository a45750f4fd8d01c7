"""The one NinjaAPI: authentication, error handlers and every app's router under /api/v1."""

from __future__ import annotations

from ninja import NinjaAPI

from ketacare.api import health, tokens
from ketacare.api.auth import API_AUTH
from ketacare.api.errors import register_error_handlers
from ketacare.api.parser import SafeJsonParser
from ketacare.apps_registry import CLINIC_APPS, optional_module

api = NinjaAPI(
    title="KetaCare API",
    version="1",
    description=(
        "JSON API for ketamine and esketamine therapy clinics. Every error is "
        '`{"code", "message", "details"}`; clinical gate refusals answer 409 with '
        "`details.blockers`. Clinical outputs are decision support for licensed clinicians."
    ),
    auth=API_AUTH,
    parser=SafeJsonParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
register_error_handlers(api)
api.add_router("", health.router)
api.add_router("", tokens.router)


def _mount_app_routers() -> None:
    # Each clinic app with an api.py contributes one router, mounted once, in app order.
    for app in CLINIC_APPS:
        module = optional_module(app, "api")
        if module is not None:
            api.add_router("", module.router)


_mount_app_routers()
