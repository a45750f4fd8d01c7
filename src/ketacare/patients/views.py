"""Patient list, search, registration and demographics pages (same services as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.patients import selectors, services
from ketacare.patients.forms import PatientForm
from ketacare.web.pages import apply_clinical_error, requires, staff_page

PAGE_SIZE = 25


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
def patient_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:100]
    try:
        page = max(0, int(request.GET.get("page", "0")))
    except ValueError:
        page = 0
    patients, total = selectors.list_patients(
        request.user, search=search, limit=PAGE_SIZE, offset=page * PAGE_SIZE
    )
    context = {
        "patients": patients,
        "total": total,
        "q": search,
        "page": page,
        "has_next": (page + 1) * PAGE_SIZE < total,
        "can_register": has_permission(request.user, Permission.REGISTER_PATIENT),
    }
    template = "patients/list.html#results" if request.htmx else "patients/list.html"
    return render(request, template, context)


@login_required
@staff_page
@requires(Permission.REGISTER_PATIENT)
def patient_register(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        try:
            patient = services.register_patient(actor=request.user, **data)
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            return redirect("web:patient_chart", patient_id=patient.pk)
    return render(request, "patients/register.html", {"form": form})


@login_required
@staff_page
@requires(Permission.EDIT_DEMOGRAPHICS)
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.access_patient(request.user, patient_id, purpose="edit page")
    initial = {f: getattr(patient, f) for f in services.DEMOGRAPHIC_FIELDS if f != "status"}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_demographics(
                actor=request.user, patient=patient, changes=dict(form.cleaned_data)
            )
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            return redirect("web:patient_chart", patient_id=patient.pk)
    return render(request, "patients/edit.html", {"form": form, "patient": patient})
