"""Layout-level pages: sign in, sign out, and the landing page for each role."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_POST

from ketacare.accounts.lockout import locked_out_response
from ketacare.accounts.middleware import ENROL, VERIFY, session_state, step_url
from ketacare.accounts.models import Role
from ketacare.apps_registry import CLINIC_APPS, optional_module
from ketacare.patients.selectors import access_patient
from ketacare.read_scope import read_scope
from ketacare.web.pages import staff_page


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


@login_required
@staff_page
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart: one audited read of the patient, then each app's panels in order."""
    patient = access_patient(request.user, patient_id, purpose="chart")
    panels = []
    with read_scope():  # panels share the rows they both read (read_scope.py)
        for app in CLINIC_APPS:
            module = optional_module(app, "chart")
            if module is not None:
                panels.extend(module.chart_panels(request, patient))
    panels.sort(key=lambda panel: panel.order)
    return render(request, "web/patient_chart.html", {"patient": patient, "panels": panels})
