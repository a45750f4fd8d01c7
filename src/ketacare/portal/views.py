"""The patient portal: phone-first pages for one patient's own record (self-report, plan,
upcoming sessions, consent documents, education). Staff logins are refused; every read goes
through ``access_own_patient``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.access import NotFound
from ketacare.accounts.permissions import Permission, PermissionDenied
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.measures.selectors import portal_link_for_token
from ketacare.measures.services import PortalLinkGone, record_self_report, redeem_portal_link
from ketacare.portal import selectors
from ketacare.portal.forms import ActivationForm, SelfReportForm
from ketacare.portal.services import activate_portal_login
from ketacare.web.pages import apply_clinical_error, requires


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Portal pages: patients only (staff get 403), and "not yours" renders as not found."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return render(
                request,
                "web/error.html",
                {"code": "permission_denied", "message": "The portal is for patients."},
                status=403,
            )
        except NotFound as exc:
            return render(
                request, "web/error.html", {"code": "not_found", "message": exc.message}, status=404
            )

    return wrapper


@portal_page
@requires(Permission.USE_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    data = selectors.portal_home(request.user)
    return render(request, "portal/home.html", {"home": data, "patient": data.patient})


@portal_page
@requires(Permission.USE_PORTAL)
def self_report(request: HttpRequest, instrument: str) -> HttpResponse:
    spec = selectors.portal_instrument(instrument)
    if spec is None:
        raise Http404("No such questionnaire in the portal.")
    patient = selectors.access_own_patient(request.user)
    form = SelfReportForm(spec, data=request.POST or None)
    context = {"form": form, "instrument": spec, "patient": patient}
    if request.method == "POST" and form.is_valid():
        try:
            recorded = record_self_report(
                actor=request.user, instrument=spec.code, items=form.answers()
            )
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            context.update(
                result=recorded.assessment,
                alert_raised=bool(recorded.alerts),
                crisis_text=recorded.crisis_text or patient.clinic.crisis_text,
            )
    template = "portal/self_report.html"
    return render(request, f"{template}#result" if request.htmx else template, context)


@portal_page
@requires(Permission.USE_PORTAL)
def plan(request: HttpRequest) -> HttpResponse:
    patient, current = selectors.own_plan(request.user)
    return render(request, "portal/plan.html", {"patient": patient, "plan": current})


@portal_page
@requires(Permission.USE_PORTAL)
def consents(request: HttpRequest) -> HttpResponse:
    patient, documents = selectors.own_consent_documents(request.user)
    return render(request, "portal/consents.html", {"patient": patient, "documents": documents})


@portal_page
@requires(Permission.USE_PORTAL)
def learn(request: HttpRequest) -> HttpResponse:
    patient = selectors.access_own_patient(request.user)
    return render(
        request,
        "portal/learn.html",
        {"patient": patient, "crisis_text": patient.clinic.crisis_text},
    )


def link_self_report(request: HttpRequest, token: str) -> HttpResponse:
    """A self-report from a signed, expiring, single-use link (no sign-in: the link is the
    credential). Used or expired links answer 410 with the same code as the API."""
    try:
        link = portal_link_for_token(token)
    except NotFound:
        return render(
            request,
            "web/error.html",
            {"code": "not_found", "message": "This link is not valid."},
            status=404,
        )
    except PortalLinkGone as exc:
        return render(
            request, "web/error.html", {"code": exc.code, "message": exc.message}, status=410
        )
    spec = selectors.portal_instrument(link.instrument)
    if spec is None:
        raise Http404("No such questionnaire in the portal.")
    form = SelfReportForm(spec, data=request.POST or None)
    context = {"form": form, "instrument": spec, "patient": link.patient, "via_link": True}
    if request.method == "POST" and form.is_valid():
        try:
            recorded = redeem_portal_link(token=token, items=form.answers())
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        except PortalLinkGone as exc:
            return render(
                request, "web/error.html", {"code": exc.code, "message": exc.message}, status=410
            )
        else:
            context.update(
                result=recorded.assessment,
                alert_raised=bool(recorded.alerts),
                crisis_text=recorded.crisis_text or link.patient.clinic.crisis_text,
            )
    template = "portal/link_self_report.html"
    return render(request, f"{template}#result" if request.htmx else template, context)


def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """A patient's first password, from the one-time link `ketacare invite-patient` printed
    (no sign-in: the link is the credential). A used, expired or replaced link answers 410."""
    user = selectors.invited_login(uidb64, token)
    if user is None:
        return render(
            request,
            "web/error.html",
            {
                "code": "activation_link_invalid",
                "message": "This activation link has expired or was already used; "
                "ask your clinic for a new one.",
            },
            status=410,
        )
    form = ActivationForm(user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activate_portal_login(user=user, token=token, password=form.cleaned_data["password1"])
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            return render(request, "portal/activated.html", {"username": user.username})
    return render(request, "portal/activate.html", {"form": form, "username": user.username})
