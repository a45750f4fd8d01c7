"""Layout-level pages: sign in, sign out, and the landing page for each role."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.models import Role


class SignInView(LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        return render(request, "web/home.html", {"portal": True})
    return render(request, "web/home.html", {})


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes lockout: JSON for the API, a page for people; 429 either way."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "code": "account_locked",
                "message": "Too many failed sign-ins; this account is locked for a while.",
                "details": {},
            },
            status=429,
        )
    return render(request, "web/locked_out.html", status=429)
