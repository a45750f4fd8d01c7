"""The clinic's safety-alert dashboard: open alerts for same-day review, acknowledged with a
note (same services and error codes as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.permissions import Permission
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.measures import selectors, services
from ketacare.web.pages import requires, staff_page


def _render_list(request: HttpRequest, errors: dict[int, dict[str, str]], status: int = 200):
    alerts = selectors.list_open_alerts(request.user)
    template = "measures/alerts.html#alert-list" if request.htmx else "measures/alerts.html"
    return render(request, template, {"alerts": alerts, "errors": errors}, status=status)


@login_required
@staff_page
@requires(Permission.ACKNOWLEDGE_ALERT)
def alert_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, {})


@login_required
@staff_page
@requires(Permission.ACKNOWLEDGE_ALERT)
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.access_alert(request.user, alert_id)
    try:
        services.acknowledge_alert(
            actor=request.user, alert=alert, note=request.POST.get("note", "")[:4000]
        )
    except InvalidClinicalInput as exc:
        return _render_list(request, {alert.pk: {"code": exc.code, "message": exc.message}}, 422)
    if request.htmx:
        return _render_list(request, {})
    return redirect("measures:alerts")
