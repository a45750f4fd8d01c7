"""docs/roles.md, generated from ``accounts.permissions``: the role x permission table.

``ketacare manage roles_doc`` writes it; ``tests/accounts/test_roles_doc.py`` renders it in
memory and fails when the file differs, so the document cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path

from ketacare.accounts.models import Role
from ketacare.accounts.permissions import (
    DESCRIPTIONS,
    LICENSED_PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLE_SUMMARIES,
    STEP_UP_PERMISSIONS,
    Permission,
)

COMMAND = "ketacare manage roles_doc"
# src/ketacare/accounts/roles_doc.py -> the repository's docs/roles.md
DEFAULT_PATH = Path(__file__).resolve().parents[3] / "docs" / "roles.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_roles_doc() -> str:
    """The whole of docs/roles.md as text."""
    roles = list(Role)
    lines = [
        "# Roles and permissions",
        "",
        f"<!-- Generated from src/ketacare/accounts/permissions.py by `{COMMAND}`. -->",
        "<!-- Do not edit by hand: tests/accounts/test_roles_doc.py fails when it is stale. -->",
        "",
        "What each role may do in KetaCare, least privilege by job (HIPAA minimum necessary,",
        "45 CFR 164.502(b)). Every API route declares one permission (`x-permission` in the",
        "OpenAPI document) and every page one too; services and selectors check the same",
        "permission again. `tests/api/test_permission_matrix.py` and",
        "`tests/web/test_page_permission_matrix.py` try every route and page as every role",
        "(and signed out, and from a second clinic) against this table.",
        "",
        "## Roles",
        "",
        "| Role | Code | What the job needs |",
        "| --- | --- | --- |",
    ]
    for role in roles:
        lines.append(f"| {role.label} | `{role.value}` | {_cell(ROLE_SUMMARIES[role])} |")
    lines += [
        "",
        "## Permission matrix",
        "",
        "| Permission | " + " | ".join(role.label for role in roles) + " | What it allows |",
        "| --- | " + " | ".join(":---:" for _ in roles) + " | --- |",
    ]
    for permission in Permission:
        marks = ["yes" if permission in ROLE_PERMISSIONS[role] else "" for role in roles]
        notes = []
        if permission in LICENSED_PERMISSIONS:
            notes.append("needs a current licence")
        if permission in STEP_UP_PERMISSIONS:
            notes.append("needs a recent second-factor check")
        extra = f" ({'; '.join(notes)})" if notes else ""
        lines.append(
            f"| `{permission.value}` | "
            + " | ".join(marks)
            + f" | {_cell(DESCRIPTIONS[permission])}{extra} |"
        )
    lines += [
        "",
        "## Rules beside the table",
        "",
        "- Another clinic's record is never visible: it answers 404 (the API) or the not-found",
        "  page, the same as a record that does not exist.",
        "- A session is an appointment as well as a treatment record: `view_patient` reaches",
        "  the appointment (time, chair, state, the steps open; `view` is `appointment` in",
        "  `GET /sessions/{id}`, the run sheet and the clinic-day board show nothing clinical);",
        "  `view_treatment` its records.",
        "- The patient chart shows each panel only to a holder of the panel's permission",
        "  (`PANEL_PERMISSION` in each app's `chart.py`).",
        "- FHIR (`/fhir`) grants `Patient` and the reference types with `view_patient` and the",
        "  clinical resource types with `view_treatment` only.",
        "- Routes about one's own sign-in (step-up, sign-out, one's own tokens, one's account",
        "  page) are open to every signed-in user.",
        "",
    ]
    return "\n".join(lines)


def write_roles_doc(path: Path = DEFAULT_PATH) -> Path:
    path.write_text(render_roles_doc(), encoding="utf-8")
    return path
