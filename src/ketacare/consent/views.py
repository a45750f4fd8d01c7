"""Consent pages: sign the version in force for a route (typed name, the signed-in staff
member as witness), the signed consent with its text as signed, withdrawal with a reason (and
a confirmation step), and publishing consent document versions (clinic admins). Same
services and selectors as the API, so refusals carry the same codes."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.permissions import Permission, has_permission, require_permission
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.consent import selectors, services
from ketacare.consent.forms import ConsentVersionForm, SignForm, WithdrawForm
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, ConsentRoute
from ketacare.patients.selectors import access_patient
from ketacare.web.pages import apply_clinical_error, requires, staff_page

# Service error codes that name one field of the page's form.
_FIELD_OF_CODE = {
    services.CONSENT_TYPED_NAME_MISMATCH: "typed_name",
    "withdrawal_reason_required": "reason",
    "consent_title_required": "title",
    "consent_body_required": "body",
    "consent_route_invalid": "route",
    "consent_version_effective_before_previous": "effective_at",
}


def _show_error(form, exc: InvalidClinicalInput) -> None:
    field = _FIELD_OF_CODE.get(exc.code)
    if field in form.fields:
        form.add_error(field, exc.message)
    else:
        apply_clinical_error(form, exc)


def _blockers(exc: GateBlocked) -> list[dict]:
    return [
        {
            "code": b.code,
            "message": b.message,
            "source": b.source.as_dict() if b.source else None,
            "overridable": b.overridable,
        }
        for b in exc.decision.blockers
    ]


def _in_force(
    documents: list[ConsentDocument], now: datetime
) -> dict[str, tuple[ConsentDocument, ConsentDocumentVersion]]:
    """Each route's document and the version in force now (versions are prefetched)."""
    out = {}
    for document in documents:
        versions = [v for v in document.versions.all() if v.effective_at <= now]
        if versions:
            out[document.route] = (document, max(versions, key=lambda v: v.version_number))
    return out


@login_required
@staff_page
@requires(Permission.RECORD_CONSENT)
def sign(request: HttpRequest, patient_id: int) -> HttpResponse:
    require_permission(request.user, Permission.RECORD_CONSENT)
    patient = access_patient(request.user, patient_id, purpose="consent signing page")
    in_force = _in_force(selectors.list_consent_documents(request.user), timezone.now())
    routes = [
        (route, f"{ConsentRoute(route).label}: {document.title}")
        for route, (document, _) in sorted(in_force.items())
    ]
    chosen = (request.POST or request.GET).get("route", "")
    form = SignForm(request.POST or None, routes=routes, initial={"route": chosen})
    blockers: list[dict] = []
    if request.method == "POST" and form.is_valid():
        try:
            version = selectors.access_consent_version(
                request.user, form.cleaned_data["version_id"]
            )
            if version.document.route != form.cleaned_data["route"]:
                raise NotFound("consent document version")
            signature = services.sign_consent(
                actor=request.user,
                patient=patient,
                version=version,
                typed_name=form.cleaned_data["typed_name"],
            )
        except NotFound:
            form.add_error("route", "Choose the route again: the text shown was out of date.")
        except InvalidClinicalInput as exc:
            _show_error(form, exc)
        except GateBlocked as exc:
            blockers = _blockers(exc)
        else:
            messages.success(request, "Consent recorded.")
            return redirect("consent:detail", consent_id=signature.pk)
    document, version = in_force.get(chosen, (None, None))
    context = {
        "patient": patient,
        "form": form,
        "document": document,
        "version": version,
        "blockers": blockers,
    }
    if request.htmx and request.method == "GET":
        return render(request, "consent/sign.html#document", context)
    return render(request, "consent/sign.html", context)


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
def detail(request: HttpRequest, consent_id: int) -> HttpResponse:
    signature = selectors.access_consent(request.user, consent_id, purpose="consent page")
    return render(
        request,
        "consent/detail.html",
        {
            "signature": signature,
            "patient": signature.patient,
            "can_record": has_permission(request.user, Permission.RECORD_CONSENT),
        },
    )


@login_required
@staff_page
@requires(Permission.RECORD_CONSENT)
def withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    """Two steps: the reason, then a confirmation that repeats it; only the confirmed POST
    records the withdrawal."""
    require_permission(request.user, Permission.RECORD_CONSENT)
    signature = selectors.access_consent(request.user, consent_id, purpose="withdraw page")
    form = WithdrawForm(request.POST or None)
    confirming = False
    blockers: list[dict] = []
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") != "yes":
            confirming = True
        else:
            try:
                services.withdraw_consent(
                    actor=request.user, signature=signature, reason=form.cleaned_data["reason"]
                )
            except InvalidClinicalInput as exc:
                _show_error(form, exc)
            except GateBlocked as exc:
                blockers = _blockers(exc)
            else:
                messages.success(request, "Withdrawal recorded.")
                return redirect("consent:detail", consent_id=signature.pk)
    context = {
        "signature": signature,
        "patient": signature.patient,
        "form": form,
        "confirming": confirming,
        "blockers": blockers,
    }
    return render(request, "consent/withdraw.html", context)


@login_required
@staff_page
@requires(Permission.MANAGE_CONSENT_DOCUMENTS)
def documents(request: HttpRequest) -> HttpResponse:
    """Clinic admins: every route's consent document with its versions, and a form to
    publish the next version."""
    require_permission(request.user, Permission.MANAGE_CONSENT_DOCUMENTS)
    form = ConsentVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.publish_consent_version(actor=request.user, **form.cleaned_data)
        except InvalidClinicalInput as exc:
            _show_error(form, exc)
        else:
            messages.success(
                request,
                f"Version {version.version_number} of the "
                f"{ConsentRoute(version.document.route).label} consent published.",
            )
            return redirect("consent:documents")
    now = timezone.now()
    docs = selectors.list_consent_documents(request.user)
    in_force = _in_force(docs, now)
    rows = [
        {
            "document": doc,
            "route_label": ConsentRoute(doc.route).label,
            "versions": sorted(doc.versions.all(), key=lambda v: -v.version_number),
            "in_force": in_force.get(doc.route, (None, None))[1],
        }
        for doc in docs
    ]
    return render(request, "consent/documents.html", {"form": form, "rows": rows, "now": now})
