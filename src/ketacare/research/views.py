"""The researcher's page: a cohort form, the suppressed per-protocol summary with relapse-free
curves, an export button and the researcher's own exports (same services as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.permissions import Permission
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.research import presenters, selectors, services
from ketacare.research.forms import CohortForm
from ketacare.web.pages import apply_clinical_error, requires, staff_page


def _page(request: HttpRequest, form: CohortForm, status: int = 200, **extra) -> HttpResponse:
    summary = rows = curves = None
    if form.is_valid():
        try:
            summary = selectors.summarise_cohort_for(
                request.user, form.cohort(), as_of=timezone.now()
            )
            rows, curves = presenters.summary_rows(summary), presenters.curve_points(summary)
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
    context = {
        "form": form,
        "summary": summary,
        "rows": rows,
        "curves": curves or {},
        "exports": selectors.list_exports(request.user),
        "query": request.GET.urlencode(),
        **extra,
    }
    return render(request, "research/home.html", context, status=status)


@login_required
@staff_page
@requires(Permission.EXPORT_DEIDENTIFIED)
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, CohortForm(request.GET))


@login_required
@staff_page
@requires(Permission.EXPORT_DEIDENTIFIED)
@require_POST
def create_export(request: HttpRequest) -> HttpResponse:
    form = CohortForm(request.POST)
    if form.is_valid():
        try:
            services.export_deidentified_cohort(
                actor=request.user, cohort=form.cohort(), as_of=timezone.now()
            )
            return redirect("research:home")
        except InvalidClinicalInput as exc:
            return _page(request, form, 422, export_error=exc)
    return _page(request, form, 422)


@login_required
@staff_page
@requires(Permission.EXPORT_DEIDENTIFIED)
def download(request: HttpRequest, export_id: int) -> HttpResponse:
    export, data = selectors.read_export_file(request.user, export_id)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="ketacare-export-{export.pk}.zip"'
    return response
