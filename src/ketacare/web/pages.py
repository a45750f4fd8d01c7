"""Small helpers shared by every app's pages: the page-side half of the error vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.access import NotFound
from ketacare.accounts.models import Role
from ketacare.accounts.permissions import Permission, PermissionDenied, holds
from ketacare.clinical.errors import InvalidClinicalInput


def apply_clinical_error(form: forms.Form, exc: InvalidClinicalInput) -> None:
    """Put a service's validation error next to the field it names (or on the form)."""
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields:
        for name, messages in fields.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


def requires(permission: Permission | str) -> Callable[[Callable[..., HttpResponse]], Callable]:
    """Declare and enforce the permission a page needs (``SIGNED_IN`` for one's own sign-in
    pages). Put it under ``staff_page``, which turns the refusal into the 403 page. The
    declaration (``page_permission`` on the view, kept by every ``functools.wraps`` above)
    is what tests/web/test_page_permission_matrix.py reads; docs/roles.md is the table."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not holds(request.user, permission):
                raise PermissionDenied()
            return view(request, *args, **kwargs)

        wrapper.page_permission = str(permission)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff pages: patients are sent to their portal; 403 and 404 render friendly pages
    with the same code the API uses."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role == Role.PATIENT:
            return render(
                request,
                "web/error.html",
                {"code": "permission_denied", "message": "This page is for clinic staff."},
                status=403,
            )
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return render(
                request, "web/error.html", {"code": exc.code, "message": exc.message}, status=403
            )
        except NotFound as exc:
            return render(
                request, "web/error.html", {"code": "not_found", "message": exc.message}, status=404
            )

    return wrapper
