"""Evaluation pages: the screening form with the verdict shown live (computed by the core,
not saved, while the clinician answers), saving it, and a prescriber's acknowledgment of
cautions. Same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.permissions import Permission, require_permission
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.evaluation import selectors, services
from ketacare.evaluation.chart import preview_context, verdict_context
from ketacare.evaluation.forms import AcknowledgmentForm, EvaluationForm
from ketacare.patients.selectors import access_patient
from ketacare.web.pages import apply_clinical_error, requires, staff_page

# Core and service error codes that name one question of the form.
_FIELD_OF_CODE = {
    "cssrs_in_future": "cssrs_assessed_at",
    "substance_screen_in_future": "screened_at",
    "blood_pressure_incomplete": "latest_systolic_mmhg",
    "blood_pressure_implausible": "latest_systolic_mmhg",
    "systolic_out_of_range": "latest_systolic_mmhg",
    "diastolic_out_of_range": "latest_diastolic_mmhg",
    "episode_duration_unknown": "episode_duration_months",
    "episode_duration_conflicts_with_onset": "episode_duration_months",
    "override_reason_required": "reason",
}
_FIELD_OF_DETAIL = {
    "cssrs.assessed_at": "cssrs_assessed_at",
    "substance_screen.screened_at": "screened_at",
}


def _show_error(form, exc: InvalidClinicalInput) -> None:
    field = _FIELD_OF_CODE.get(exc.code)
    if field is None and isinstance(exc.details, dict):
        field = _FIELD_OF_DETAIL.get(str(exc.details.get("field")))
    if field in form.fields:
        form.add_error(field, exc.message)
    else:
        apply_clinical_error(form, exc)


def _onset_recorded(patient) -> bool:
    return patient.current_episode_onset is not None


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


def _preview_state(request: HttpRequest, patient, form: EvaluationForm) -> dict:
    """What the live verdict region shows for the answers so far (nothing is saved)."""
    unanswered = form.unanswered()
    if unanswered:
        return {"status": "incomplete", "unanswered": unanswered}
    if not form.is_valid():
        problems = [
            f"{form.fields[name].label if name in form.fields else 'Form'}: {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]
        return {"status": "invalid", "problems": problems}
    try:
        result = selectors.preview_evaluation(request.user, patient, form.answers(), timezone.now())
    except InvalidClinicalInput as exc:
        return {"status": "invalid", "problems": [exc.message]}
    return {"status": "ready", "preview": preview_context(result)}


@login_required
@staff_page
@requires(Permission.RECORD_EVALUATION)
def evaluation_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    require_permission(request.user, Permission.RECORD_EVALUATION)
    patient = access_patient(request.user, patient_id, purpose="evaluation page")
    form = EvaluationForm(request.POST or None, onset_recorded=_onset_recorded(patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.record_evaluation(actor=request.user, patient=patient, answers=form.answers())
        except InvalidClinicalInput as exc:
            _show_error(form, exc)
        else:
            messages.success(request, "Evaluation saved.")
            return redirect(reverse("web:patient_chart", args=[patient.pk]) + "#evaluation")
    context = {"patient": patient, "form": form, **_preview_state(request, patient, form)}
    return render(request, "evaluation/new.html", context)


@login_required
@staff_page
@requires(Permission.RECORD_EVALUATION)
@require_POST
def evaluation_preview(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The verdict for the answers so far, from the core; nothing is saved."""
    require_permission(request.user, Permission.RECORD_EVALUATION)
    patient = access_patient(request.user, patient_id, purpose="evaluation preview")
    form = EvaluationForm(request.POST, onset_recorded=_onset_recorded(patient))
    context = {"patient": patient, "form": form, **_preview_state(request, patient, form)}
    template = "evaluation/new.html#verdict-preview" if request.htmx else "evaluation/new.html"
    return render(request, template, context)


@login_required
@staff_page
@requires(Permission.OVERRIDE_CLINICAL_GATE)
def acknowledge(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    require_permission(request.user, Permission.OVERRIDE_CLINICAL_GATE)
    evaluation = selectors.access_evaluation(
        request.user, evaluation_id, purpose="acknowledge page"
    )
    reasons = {r["code"]: r["message"] for r in evaluation.reasons}
    outstanding = selectors.outstanding_acknowledgments(evaluation)
    cautions = [(code, f"{reasons.get(code, code)} ({code})") for code in outstanding]
    form = AcknowledgmentForm(request.POST or None, cautions=cautions)
    blockers: list[dict] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledge_cautions(
                actor=request.user,
                evaluation=evaluation,
                reason=form.cleaned_data["reason"],
                codes=form.cleaned_data["codes"] or None,
            )
        except InvalidClinicalInput as exc:
            _show_error(form, exc)
        except GateBlocked as exc:
            blockers = _blockers(exc)
        else:
            messages.success(request, "Cautions acknowledged.")
            url = reverse("web:patient_chart", args=[evaluation.patient_id])
            return redirect(url + "#evaluation")
    context = {
        "evaluation": evaluation,
        "patient": evaluation.patient,
        "verdict": verdict_context(evaluation),
        "outstanding": outstanding,
        "form": form,
        "blockers": blockers,
    }
    return render(request, "evaluation/acknowledge.html", context)
