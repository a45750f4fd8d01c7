"""Layout-level pages: sign in, sign out, and the landing page for each role."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils.timezone import now
from django.views.decorators.http import require_POST

from ketacare.accounts.lockout import locked_out_response
from ketacare.accounts.middleware import ENROL, VERIFY, session_state, step_url
from ketacare.accounts.models import Role
from ketacare.accounts.permissions import (
    SIGNED_IN,
    Permission,
    has_permission,
)
from ketacare.apps_registry import CLINIC_APPS, optional_module
from ketacare.audit.selectors import audit_page_for_patient, page_number
from ketacare.patients.selectors import access_patient
from ketacare.read_scope import read_scope
from ketacare.web.pages import requires, staff_page
from ketacare.web.selectors import chart_header


class SignInView(LoginView):
    """The password step. A user who owes a second factor goes on to enter a code (or to
    enrol one); the session reaches nothing else until then (accounts/middleware.py)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        state = session_state(self.request)
        if state in (VERIFY, ENROL):
            return step_url(state, self.get_redirect_url())
        return super().get_success_url()


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@login_required
@requires(SIGNED_IN)
def home(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        try:
            return redirect("portal:home")
        except NoReverseMatch:
            pass
    return render(request, "web/home.html", {})


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes lockout: JSON for the API, a page for people; 429 with Retry-After."""
    return locked_out_response(request)


def _chart_context(request: HttpRequest, patient_id: int, *, purpose: str) -> dict:
    """One audited read of the patient, then the header and each app's panels in order, each
    only for a user holding its ``PANEL_PERMISSION`` (front desk sees demographics,
    appointments and consent status; docs/roles.md)."""
    patient = access_patient(request.user, patient_id, purpose=purpose)
    panels = []
    with read_scope():  # panels share the rows they both read (read_scope.py)
        header = chart_header(patient, viewer=request.user)
        for app in CLINIC_APPS:
            module = optional_module(app, "chart")
            if module is not None and has_permission(request.user, module.PANEL_PERMISSION):
                panels.extend(module.chart_panels(request, patient))
    panels.sort(key=lambda panel: panel.order)
    return {"patient": patient, "header": header, "panels": panels}


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart: a fixed header of what is dangerous, then the panels, each collapsible."""
    context = _chart_context(request, patient_id, purpose="chart")
    return render(request, "web/patient_chart.html", context)


# The print view leaves out what does not belong on paper: the access log and the
# interactive curve (it needs a browser to draw).
PRINT_LEAVES_OUT = ("access-log", "pharmacokinetics")


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
def patient_chart_print(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart summary laid out for paper (audited as a read, "chart print")."""
    context = _chart_context(request, patient_id, purpose="chart print")
    context["panels"] = [p for p in context["panels"] if p.key not in PRINT_LEAVES_OUT]
    return render(request, "web/patient_chart_print.html", {**context, "printed_at": now()})


@login_required
@staff_page
@requires(Permission.VIEW_AUDIT)
def patient_audit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One page of the chart's access log (htmx swaps it into the panel); audited read."""
    patient = access_patient(request.user, patient_id, purpose="access log")
    page = audit_page_for_patient(request.user, patient, page=page_number(request.GET.get("page")))
    template = "audit/_audit_page.html" if request.htmx else "web/patient_audit.html"
    return render(request, template, {"patient": patient, "audit": page})


@login_required
@staff_page
@requires(Permission.USE_CLINICAL_TOOLS)
def clinical_sources(request: HttpRequest) -> HttpResponse:
    """Every source KetaCare's clinical rules rest on, with its grade, and the numbers that
    cite it; the evidence line on each refusal, warning and recommendation links here."""
    from ketacare.web.selectors import clinical_source_entries

    return render(request, "web/sources.html", {"entries": clinical_source_entries()})
