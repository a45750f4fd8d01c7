"""Printable forms as PDFs (issue 17.5): the SPRAVATO REMS Patient Monitoring Form of a session
and the controlled-substance records (a session's administration and waste; a clinic day's
administrations, witnessed wastes and counts), laid out like the paper forms.

WeasyPrint renders a Django template (``treatment/pdf/*.html``) with the stylesheet
``treatment/pdf/forms.css`` passed to it from the package (never served as a page, so the
site's strict CSP is untouched). Reads go through the audited access functions and selectors;
who may download what is decided here from the same permissions the pages use:

- REMS form: whoever may see the session (``VIEW_PATIENT``), as the HTML form and the API;
- controlled-substance records: only those who keep the ledger (``MANAGE_INVENTORY``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from ketacare.accounts.permissions import Permission, has_permission

CSS = Path(__file__).resolve().parent / "templates" / "treatment" / "pdf" / "forms.css"


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template rendered to HTML, then to PDF by WeasyPrint with the forms' stylesheet.
    No network: every resource is the package's own (no url fetcher is used)."""
    import weasyprint  # heavy import, only when a form is printed

    html = render_to_string(template, context)
    return weasyprint.HTML(string=html, base_url=str(CSS.parent)).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(CSS))]
    )


@dataclass(frozen=True, slots=True)
class PdfLink:
    label: str
    url: str


def pdf_links(user: Any, session: Any, *, esketamine: bool) -> list[PdfLink]:
    """The printable forms of a session this person may download (the run sheet's links)."""
    links = []
    if esketamine and has_permission(user, Permission.VIEW_TREATMENT):
        from ketacare.treatment.models import RemsForm

        if RemsForm.objects.filter(session_id=session.pk).exists():
            links.append(
                PdfLink(
                    "REMS Patient Monitoring Form",
                    reverse("treatment:rems_form_pdf", args=[session.pk]),
                )
            )
    if has_permission(user, Permission.MANAGE_INVENTORY):
        links.append(
            PdfLink(
                "Controlled-substance record",
                reverse("treatment:controlled_record_pdf", args=[session.pk]),
            )
        )
    return links


def may_print_controlled_records(user: Any) -> bool:
    return has_permission(user, Permission.MANAGE_INVENTORY)
