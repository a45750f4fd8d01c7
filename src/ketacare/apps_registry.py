"""The clinic's Django apps, in dependency order. Settings install them, the API mounts
each app's ``api.router``, the site includes each app's ``urls``, and the demo seeds each
app's ``demo.seed_demo`` step, all from this one list."""

from __future__ import annotations

import importlib
from types import ModuleType

CLINIC_APPS = (
    "accounts",
    "audit",
    "patients",
    "consent",
    "evaluation",
    "protocols",
    "treatment",
    "controlled_substances",
    "measures",
    "careplans",
    "portal",
    "research",
    "pharmacokinetics",
    "interop",
    "smart",
)


def optional_module(app: str, name: str) -> ModuleType | None:
    """``ketacare.<app>.<name>`` if the app has one; errors inside it still raise."""
    dotted = f"ketacare.{app}.{name}"
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name == dotted:
            return None
        raise
