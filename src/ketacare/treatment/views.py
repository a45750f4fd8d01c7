"""Chair-side treatment pages: the clinic-day board, the session run sheet, course ordering
and the printable REMS form. Same services and access functions as the API; a refusal renders
``web/components/blockers.html`` with the API's codes and messages.

htmx requests get the region they swap (``{% partialdef %}``) with status 200 so htmx swaps
errors in too; plain form posts get the whole page with the API's status (409 refused, 422
invalid) or a redirect after success.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.permissions import Permission, has_permission, require_permission
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.clinical.session.corrections import vitals_undo_deadline
from ketacare.clinical.session.states import SessionState, allowed_transitions
from ketacare.controlled_substances import selectors as ledger_selectors
from ketacare.patients.selectors import access_patient
from ketacare.protocols.mappers import protocol_for_clinic
from ketacare.protocols.selectors import get_protocols
from ketacare.read_scope import read_scope
from ketacare.treatment import page_selectors as pages
from ketacare.treatment import selectors, services
from ketacare.treatment.forms import (
    AdverseEventForm,
    CadssForm,
    CancelForm,
    CheckInForm,
    ClearForm,
    CourseForm,
    DischargeForm,
    DoseForm,
    MoaasForm,
    OverrideForm,
    VitalsForm,
    on_clinic_day,
)
from ketacare.treatment.presenters import present_board
from ketacare.treatment.printing import may_print_controlled_records, pdf_links, render_pdf
from ketacare.web.pages import apply_clinical_error, requires, staff_page
from ketacare.web.presenters import readable_text, state_label
from ketacare.web.presenters import when as present_when

S = SessionState
FLOW = (S.SCHEDULED, S.CHECKED_IN, S.CLEARED, S.DOSING, S.OBSERVATION, S.DISCHARGED)


# --- the clinic-day board ----------------------------------------------------------------------


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
def board(request: HttpRequest) -> HttpResponse:
    """Today's sessions by chair and time; htmx polls the body every 30 s. ``?display=large``
    is the wall-display mode (big type), kept in the polling URL."""
    now = timezone.now()
    large = request.GET.get("display") == "large"
    context = {
        "board": present_board(pages.clinic_day_board(request.user, now)),
        "now": now,
        "large": large,
        "board_url": reverse("treatment:board") + ("?display=large" if large else ""),
        "can_print_controlled": may_print_controlled_records(request.user),
    }
    template = "treatment/board.html#board-body" if request.htmx else "treatment/board.html"
    return render(request, template, context)


# --- the run sheet -----------------------------------------------------------------------------


def _blocker_dicts(exc: GateBlocked) -> list[dict[str, Any]]:
    return [b.as_dict() for b in exc.decision.blockers]


def _flow(state: SessionState) -> list[dict[str, Any]]:
    flow = []
    reached = True
    for step in FLOW:
        if step is state:
            flow.append({"state": step, "label": state_label(step), "status": "current"})
            reached = False
        else:
            flow.append(
                {
                    "state": step,
                    "label": state_label(step),
                    "status": "done" if reached and state in FLOW else "todo",
                }
            )
    return flow


def _appointment_context(request: HttpRequest, session, **extra: Any) -> dict[str, Any]:
    """The run sheet as front desk sees it: the appointment, check-in and cancelling; no
    dose, readings, findings or timeline (``VIEW_TREATMENT`` is for those)."""
    state = S(session.state)
    allowed = {s.value for s in allowed_transitions(state)}
    may_check_in = has_permission(request.user, Permission.CHECK_IN)
    refused = extra.pop("refused", None)
    context: dict[str, Any] = {
        "clinical": False,
        "session": session,
        "patient": session.patient,
        "course": session.course,
        "flow": _flow(state),
        "allowed": allowed,
        "next_step": (
            pages.NextStep("Check the patient in", "step-check-in")
            if state is S.SCHEDULED and may_check_in
            else pages.NextStep(state_label(state).capitalize())
        ),
        "next_steps": [pages.STEP_LABELS[S(a)] for a in sorted(allowed)],
        "blockers": refused or [],
        "refused": refused is not None,
        "check_in_form": CheckInForm() if state is S.SCHEDULED and may_check_in else None,
        "cancel_form": CancelForm() if "cancelled" in allowed and may_check_in else None,
        "error": extra.pop("error", None),
    }
    for name in [n for n in extra if n.endswith("_form")]:
        context[name] = extra.pop(name)
    return {**context, **extra}


def _acknowledgment_dicts(exc: GateBlocked) -> list[dict[str, Any]]:
    return [a.as_dict() for a in exc.decision.acknowledgments]


@read_scope()  # reads only, after any write of the request: the status and forms share them
def _sheet_context(request: HttpRequest, session, **extra: Any) -> dict[str, Any]:
    if not selectors.may_read_treatment(request.user):
        return _appointment_context(request, session, **extra)
    now = timezone.now()
    status = selectors.session_status(session, now)
    setups = pages.clinic_setups(session.clinic_id)
    protocol, policy, problem = setups.for_version(session.course.protocol_version)
    state = S(session.state)
    allowed = set(status["allowed_next"])
    dose = selectors.dose_of(session)
    overridden: dict[str, Any] = {}
    for row in session.overrides.all():
        for code in row.codes:
            overridden[code] = row
    current = status["blockers"]
    unresolved = [b for b in current if not (b["overridable"] and b["code"] in overridden)]
    covered = [
        {**b, "override": overridden[b["code"]]}
        for b in current
        if b["overridable"] and b["code"] in overridden
    ]
    refused = extra.pop("refused", None)
    refused_acks = extra.pop("refused_acknowledgments", None)
    shown = refused if refused is not None else unresolved
    acknowledged: dict[str, Any] = {}
    for row in session.acknowledgments.all():
        for code in row.codes:
            acknowledged[code] = row
    current_acks = status["acknowledgments"] if refused_acks is None else refused_acks
    pending_acks = [a for a in current_acks if a["code"] not in acknowledged]
    acknowledged_shown = [
        {**a, "acknowledgment": acknowledged[a["code"]]}
        for a in status["acknowledgments"]
        if a["code"] in acknowledged
    ]
    user = request.user
    can_override = has_permission(user, Permission.OVERRIDE_CLINICAL_GATE)
    esketamine = protocol.device_interval_min is not None
    in_progress = state in pages.IN_PROGRESS

    def may(permission: Permission) -> bool:
        return has_permission(user, permission)

    # Only the steps that are legal now and that this person may take (the services check
    # both again).
    observe = may(Permission.RECORD_SESSION_OBSERVATIONS)
    forms_: dict[str, Any] = {
        "check_in_form": (
            CheckInForm() if state is S.SCHEDULED and may(Permission.CHECK_IN) else None
        ),
        "vitals_form": VitalsForm() if in_progress and observe else None,
        "moaas_form": MoaasForm() if in_progress and observe else None,
        "cadss_form": CadssForm() if in_progress and observe else None,
        "clear_form": ClearForm() if state is S.CHECKED_IN and observe else None,
        "dose_form": (
            DoseForm(prescribers=pages.prescribers_on_duty(user), esketamine=esketamine)
            if state is S.CLEARED and may(Permission.ADMINISTER_DOSE)
            else None
        ),
        "discharge_form": (
            DischargeForm() if state is S.OBSERVATION and may(Permission.DISCHARGE) else None
        ),
        "cancel_form": (
            CancelForm()
            if ("cancelled" in allowed and may(Permission.CHECK_IN))
            or ("aborted" in allowed and observe)
            else None
        ),
        "adverse_event_form": (
            AdverseEventForm() if state not in (S.SCHEDULED, S.CANCELLED) and observe else None
        ),
    }
    for name, form in list(extra.items()):
        if name.endswith("_form"):
            forms_[name] = form
            extra.pop(name)
    preview = None
    if state is S.CLEARED:
        preview = pages.dose_preview(
            patient=session.patient,
            protocol=protocol,
            values=setups.values,
            mg_per_kg=session.course.mg_per_kg,
            dose_mg=session.course.dose_mg,
            vial_concentration_mg_per_ml=None,
            now=now,
        )
    timer = pages.observation_timer(protocol, policy, dose, now)
    readings = selectors.current_vitals(session)
    last = readings[-1] if readings else None
    undo_until = vitals_undo_deadline(last.created_at) if last is not None else None
    may_undo = (
        last is not None
        and in_progress
        and observe
        and last.created_by_id == user.pk
        and undo_until is not None
        and now <= undo_until
    )
    return {
        "clinical": True,
        "session": session,
        "patient": session.patient,
        "next_step": pages.run_sheet_next_step(
            session,
            vitals_due=status["vitals_due"],
            blockers=unresolved + pending_acks,
            timer=timer,
        ),
        "last_reading": last if in_progress and observe else None,
        "undo_reading": last if may_undo else None,
        "undo_until": undo_until if may_undo else None,
        "undo_seconds_left": (
            max(0, int((undo_until - now).total_seconds())) if may_undo and undo_until else 0
        ),
        "superseded": selectors.superseded_vitals(session),
        "quick_error": extra.pop("quick_error", None),
        "pdf": pdf_links(user, session, esketamine=esketamine),
        "course": session.course,
        "protocol": protocol,
        "policy_problem": problem,
        "esketamine": esketamine,
        "status": status,
        "flow": _flow(state),
        "allowed": allowed,
        "next_steps": [pages.STEP_LABELS[S(a)] for a in sorted(allowed)],
        "blockers": shown,
        "refused": refused is not None,
        "covered": covered,
        "overridable": [b for b in shown if b["overridable"]],
        "warnings": status["warnings"],
        "pending_acknowledgments": pending_acks,
        "acknowledged": acknowledged_shown,
        "can_acknowledge": has_permission(user, Permission.ACKNOWLEDGE_CLINICAL_WARNING),
        "acknowledgment_form": extra.pop("acknowledgment_form", None),
        "can_override": can_override,
        "vitals_rows": pages.vitals_rows(session, protocol, policy),
        "timer": timer,
        "dose": dose,
        "preview": preview,
        "now": now,
        "override_form": extra.pop("override_form", None),
        "error": extra.pop("error", None),
        **forms_,
        **extra,
    }


def _render_sheet(request: HttpRequest, session, *, status: int = 200, **extra: Any):
    context = _sheet_context(request, session, **extra)
    if request.htmx:
        return render(request, "treatment/session.html#run-sheet", context)
    return render(request, "treatment/session.html", context, status=status)


def _session(request: HttpRequest, session_id: int, purpose: str = "run sheet"):
    return selectors.access_session(request.user, session_id, purpose=purpose)


@login_required
@staff_page
@requires(Permission.VIEW_PATIENT)
def session_sheet(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if request.htmx and request.GET.get("region") == "status":
        return render(
            request, "treatment/session.html#status-panel", _sheet_context(request, session)
        )
    return _render_sheet(request, session)


def _step(
    request: HttpRequest,
    session_id: int,
    form_class: Callable[..., forms.Form],
    form_name: str,
    act: Callable[[Any, Any], Any],
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse:
    """Validate ``form_class``, run ``act(session, cleaned_data)`` (a service call) and show
    the run sheet again: field errors next to the fields, a refusal as the blockers region,
    the typed values kept."""
    session = _session(request, session_id, purpose=f"run sheet: {form_name}")
    form = form_class(request.POST, **(form_kwargs or {}))
    if form.is_valid():
        try:
            act(session, form)
        except GateBlocked as exc:
            fresh = _session(request, session_id, purpose="run sheet after refusal")
            return _render_sheet(
                request,
                fresh,
                status=409,
                refused=_blocker_dicts(exc),
                refused_acknowledgments=_acknowledgment_dicts(exc),
                **{f"{form_name}_form": form},
            )
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            if not request.htmx:
                return redirect("treatment:session", session_id=session_id)
            fresh = _session(request, session_id, purpose="run sheet after step")
            return _render_sheet(request, fresh)
    return _render_sheet(request, session, status=422, **{f"{form_name}_form": form})


@login_required
@staff_page
@requires(Permission.CHECK_IN)
@require_POST
def check_in(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        services.check_in(actor=request.user, session=session, **form.cleaned_data)

    return _step(request, session_id, CheckInForm, "check_in", act)


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def record_vitals(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        data = dict(form.cleaned_data)
        taken = on_clinic_day(data.pop("taken_at"), timezone.now())
        services.record_vitals(actor=request.user, session=session, taken_at=taken, **data)

    return _step(request, session_id, VitalsForm, "vitals", act)


def _quick_vitals(request: HttpRequest, session_id: int, act, purpose: str) -> HttpResponse:
    """Run a one-tap vitals action (repeat, undo); a refusal is shown at the top of the run
    sheet, next to the button, with the service's code and message."""
    session = _session(request, session_id, purpose=f"run sheet: {purpose}")
    try:
        extra = act(session) or {}
    except InvalidClinicalInput as exc:
        return _render_sheet(
            request,
            _session(request, session_id, purpose="run sheet after refusal"),
            status=422,
            quick_error={"code": exc.code, "message": exc.message},
        )
    if not request.htmx and not extra:
        return redirect("treatment:session", session_id=session_id)
    return _render_sheet(request, _session(request, session_id, purpose=purpose), **extra)


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def repeat_vitals(request: HttpRequest, session_id: int) -> HttpResponse:
    """One tap: the last reading's values recorded again as a reading taken now (the same
    service, validation and thresholds as a typed reading)."""

    def act(session):
        services.record_repeated_vitals(actor=request.user, session=session)

    return _quick_vitals(request, session_id, act, "repeat last reading")


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def undo_vitals(request: HttpRequest, session_id: int, reading_id: int) -> HttpResponse:
    """Take back a mistyped reading within a minute (a superseding correction); the vitals
    form comes back filled with the values taken back, to correct and record."""

    def act(session):
        correction = services.supersede_vitals(
            actor=request.user, session=session, reading_id=reading_id
        )
        r = correction.reading
        return {
            "vitals_form": VitalsForm(
                initial={
                    "systolic_mmhg": r.systolic_mmhg,
                    "diastolic_mmhg": r.diastolic_mmhg,
                    "heart_rate_bpm": r.heart_rate_bpm,
                    "spo2_percent": r.spo2_percent,
                    "respiratory_rate_per_min": r.respiratory_rate_per_min,
                }
            ),
            "undone": r,
        }

    return _quick_vitals(request, session_id, act, "undo reading")


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def clear(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        data = form.cleaned_data
        services.clear_session(
            actor=request.user,
            session=session,
            npo_confirmed=data["npo_confirmed"],
            last_food_at=data["last_food_at"],
            last_liquids_at=data["last_liquids_at"],
            ride_home=data["ride_home"] or None,
            safety_assessment=data["safety_assessment"] or None,
        )

    return _step(request, session_id, ClearForm, "clear", act)


@login_required
@staff_page
@requires(Permission.ADMINISTER_DOSE)
@require_POST
def administer(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id, purpose="run sheet: dose form")
    esketamine = session.course.route == "intranasal"
    kwargs = {"prescribers": pages.prescribers_on_duty(request.user), "esketamine": esketamine}

    def act(session, form):
        data = form.cleaned_data
        now = timezone.now()
        services.administer_dose(
            actor=request.user,
            session=session,
            lot_number=data["lot_number"],
            started_at=None if esketamine else on_clinic_day(data["started_at"], now),
            dose_mg=data.get("dose_mg"),
            mg_per_kg=data.get("mg_per_kg"),
            vial_concentration_mg_per_ml=data.get("vial_concentration_mg_per_ml"),
            device_times=form.device_times(now) if esketamine else (),
            infusion_duration_min=data.get("infusion_duration_min"),
            prescriber_on_site_id=data["prescriber_on_site"],
            pulse_oximeter_available=data["pulse_oximeter_available"],
        )

    return _step(request, session_id, DoseForm, "dose", act, kwargs)


@login_required
@staff_page
@requires(Permission.ADMINISTER_DOSE)
def dose_preview(request: HttpRequest, session_id: int) -> HttpResponse:
    """The dose the core computes for the values typed so far (nothing is written)."""
    session = _session(request, session_id, purpose="dose preview")
    setups = pages.clinic_setups(session.clinic_id)
    protocol, _policy, _problem = setups.for_version(session.course.protocol_version)

    def decimal(name: str) -> Decimal | None:
        try:
            value = Decimal(request.GET.get(name, "").strip())
        except ArithmeticError:
            return None
        return value if value.is_finite() and value > 0 else None

    preview = pages.dose_preview(
        patient=session.patient,
        protocol=protocol,
        values=setups.values,
        mg_per_kg=decimal("mg_per_kg") or session.course.mg_per_kg,
        dose_mg=decimal("dose_mg") or session.course.dose_mg,
        vial_concentration_mg_per_ml=decimal("vial_concentration_mg_per_ml"),
        now=timezone.now(),
    )
    return render(
        request,
        "treatment/session.html#dose-preview",
        {"preview": preview, "session": session, "protocol": protocol},
    )


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def record_moaas(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        services.record_observation(
            actor=request.user,
            session=session,
            scale="moaas",
            items=[form.cleaned_data["rating"]],
            observed_at=on_clinic_day(form.cleaned_data["observed_at"], timezone.now()),
        )

    return _step(request, session_id, MoaasForm, "moaas", act)


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def record_cadss(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        services.record_observation(
            actor=request.user,
            session=session,
            scale="cadss",
            items=form.items(),
            observed_at=on_clinic_day(form.cleaned_data["observed_at"], timezone.now()),
            dissociation_resolved=form.cleaned_data["dissociation_resolved"],
        )

    return _step(request, session_id, CadssForm, "cadss", act)


@login_required
@staff_page
@requires(Permission.RECORD_SESSION_OBSERVATIONS)
@require_POST
def record_adverse_event(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        data = dict(form.cleaned_data)
        onset = on_clinic_day(data.pop("onset_at"), timezone.now())
        services.record_adverse_event(actor=request.user, session=session, onset_at=onset, **data)

    return _step(request, session_id, AdverseEventForm, "adverse_event", act)


@login_required
@staff_page
@requires(Permission.DISCHARGE)
@require_POST
def discharge(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        services.discharge_session(actor=request.user, session=session, **form.cleaned_data)

    return _step(request, session_id, DischargeForm, "discharge", act)


@login_required
@staff_page
@requires(Permission.CHECK_IN)
@require_POST
def cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    def act(session, form):
        services.cancel_session(actor=request.user, session=session, **form.cleaned_data)

    return _step(request, session_id, CancelForm, "cancel", act)


@login_required
@staff_page
@requires(Permission.OVERRIDE_CLINICAL_GATE)
@require_POST
def override(request: HttpRequest, session_id: int) -> HttpResponse:
    """A prescriber's documented override of the blockers ticked, standing for the session."""
    session = _session(request, session_id, purpose="run sheet: override")
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.override_gate(
                actor=request.user,
                session=session,
                codes=form.cleaned_data["codes"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            if not request.htmx:
                return redirect("treatment:session", session_id=session_id)
            return _render_sheet(request, _session(request, session_id, purpose="after override"))
    return _render_sheet(request, session, status=422, override_form=form)


@login_required
@staff_page
@requires(Permission.ACKNOWLEDGE_CLINICAL_WARNING)
@require_POST
def acknowledge(request: HttpRequest, session_id: int) -> HttpResponse:
    """A licensed clinician's acknowledgment, with a reason, of the warnings ticked."""
    session = _session(request, session_id, purpose="run sheet: acknowledge")
    form = OverrideForm(request.POST)  # the same fields: the codes ticked and a reason
    if form.is_valid():
        try:
            services.acknowledge_warning(
                actor=request.user,
                session=session,
                codes=form.cleaned_data["codes"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            if not request.htmx:
                return redirect("treatment:session", session_id=session_id)
            return _render_sheet(
                request, _session(request, session_id, purpose="after acknowledgment")
            )
    return _render_sheet(request, session, status=422, acknowledgment_form=form)


# --- course ordering ---------------------------------------------------------------------------


def _course_page(request: HttpRequest, patient, form: CourseForm, **extra: Any) -> dict:
    return {
        "patient": patient,
        "form": form,
        "can_override": has_permission(request.user, Permission.OVERRIDE_CLINICAL_GATE),
        **extra,
    }


def _initial_start():
    local = timezone.localtime(timezone.now()) + timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


@login_required
@staff_page
@requires(Permission.ORDER_TREATMENT)
def course_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Order a course: protocol and parameters, the proposed schedule and dose preview (htmx),
    the refusal's blockers and a prescriber's override with a reason."""
    require_permission(request.user, Permission.ORDER_TREATMENT)
    patient = access_patient(request.user, patient_id, purpose="order course")
    protocols = get_protocols(request.user)
    form = CourseForm(
        request.POST or None,
        protocols=protocols,
        initial={"start_at": _initial_start(), "open_phase_every_weeks": 1},
    )
    status = 200
    extra: dict[str, Any] = {}
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("override_reason").strip()
            data.pop("vial_concentration_mg_per_ml")
            codes = [c[:60] for c in request.POST.getlist("override_codes")[:20]]
            override_ = Override(reason, frozenset(codes)) if reason and codes else None
            try:
                ordered = services.order_course(
                    actor=request.user, patient=patient, override=override_, **data
                )
            except GateBlocked as exc:
                status = 409
                blockers = _blocker_dicts(exc)
                extra = {
                    "blockers": blockers,
                    "overridable": [b for b in blockers if b["overridable"]],
                }
            except InvalidClinicalInput as exc:
                apply_clinical_error(form, exc)
            else:
                return redirect(
                    reverse("web:patient_chart", args=[patient.pk])
                    + f"?ordered={ordered.course.pk}#treatment"
                )
    context = _course_page(request, patient, form, **extra)
    context.update(_course_preview(request, patient, protocols, form.data or None))
    return render(request, "treatment/course_new.html", context, status=status)


def _course_preview(request, patient, protocols, data) -> dict[str, Any]:
    """The proposed schedule, the dose preview for the latest weight and the PK curve's
    parameters, for what the form holds (or the first protocol on a fresh form)."""
    form = CourseForm(data, protocols=protocols)
    form.is_valid()  # the preview uses what is valid so far
    cleaned = getattr(form, "cleaned_data", {})
    code = cleaned.get("protocol_code") or (protocols[0].code if protocols else None)
    version = next((p for p in protocols if p.code == code), None)
    if version is None:
        return {"preview_error": {"code": "protocol_unknown", "message": "Choose a protocol."}}
    setups = pages.clinic_setups(patient.clinic_id)
    protocol = protocol_for_clinic(version.parameters, setups.values)
    now = timezone.now()
    start = cleaned.get("start_at") or (timezone.localtime(now) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    out: dict[str, Any] = {"preview_protocol": protocol, "preview_version": version}
    try:
        out["schedule"] = pages.schedule_preview(
            protocol,
            start,
            sessions=cleaned.get("sessions"),
            sessions_per_week=cleaned.get("sessions_per_week"),
            open_phase_every_weeks=cleaned.get("open_phase_every_weeks") or 1,
        )
    except InvalidClinicalInput as exc:
        out["schedule_error"] = {"code": exc.code, "message": exc.message}
    dose = pages.dose_preview(
        patient=patient,
        protocol=protocol,
        values=setups.values,
        mg_per_kg=cleaned.get("mg_per_kg"),
        dose_mg=cleaned.get("dose_mg"),
        vial_concentration_mg_per_ml=cleaned.get("vial_concentration_mg_per_ml"),
        now=now,
    )
    out["dose_preview"] = dose
    out["pk_params"] = pages.pk_preview_params(patient, protocol, dose, now)
    return out


@login_required
@staff_page
@requires(Permission.ORDER_TREATMENT)
def course_preview(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, purpose="course preview")
    protocols = get_protocols(request.user)
    context = {"patient": patient, **_course_preview(request, patient, protocols, request.GET)}
    return render(request, "treatment/course_new.html#preview", context)


# --- the REMS form ---------------------------------------------------------------------------

_LABELS = {
    "patient_first_name": "Patient first name",
    "patient_middle_initial": "Middle initial",
    "patient_last_name": "Patient last name",
    "patient_birthdate": "Birthdate",
    "patient_sex": "Sex",
    "first_treatment": "First treatment",
    "patient_enrolled": "Patient enrolled in the REMS",
    "concomitant_medications": "Concomitant medications (sedation / BP)",
    "monitoring_provider_name": "Healthcare provider conducting monitoring",
    "monitoring_provider_phone": "Provider phone",
    "monitoring_provider_email": "Provider email",
    "setting_name": "Healthcare setting",
    "setting_address": "Setting address",
    "treatment_date": "Treatment date",
    "dose_mg": "Dose administered (mg)",
    "lot_number": "Lot number",
    "first_device_at": "First device administered at",
    "monitoring_completed_at": "Monitoring completed at",
    "ready_to_leave_without_minimum_min": "Ready to leave without the 2-hour minimum (min)",
    "vitals_acceptable_before_administration": "Vital signs acceptable before administration",
    "vitals_acceptable_before_completion": "Vital signs acceptable before completion",
    "bp_before_administration": "BP before administration",
    "bp_40_min_after_administration": "BP 40 min after administration",
    "bp_before_completion": "BP before session completion",
    "sedation": "Sedation",
    "dissociation": "Dissociation",
    "respiratory_depression": "Respiratory depression",
}


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return f"{value['systolic_mmhg']}/{value['diastolic_mmhg']} mmHg"
    if isinstance(value, list):
        return ", ".join(value) if value else "None"
    return readable_text(value)


@login_required
@staff_page
@requires(Permission.VIEW_TREATMENT)
def rems_form(request: HttpRequest, session_id: int) -> HttpResponse:
    form = selectors.access_rems_form(request.user, session_id)
    read = selectors.rems_form_read(form, timezone.now())
    answers = read["data"].get("answers", {})
    missing = set(read["data"].get("missing", []))
    rows = [
        {"label": label, "value": _shown(answers.get(key)), "missing": key in missing}
        for key, label in _LABELS.items()
    ]
    return render(request, "treatment/rems_form.html", {"form": read, "rows": rows})


# --- printable forms (PDF) ---------------------------------------------------------------------

_MEDICATIONS = (
    ("benzodiazepines", "Benzodiazepines"),
    ("non_benzodiazepine_sedative_hypnotics", "Non-benzodiazepine sedative hypnotics"),
    ("psychostimulants", "Psychostimulants"),
    ("maois", "Monoamine oxidase inhibitors (MAOIs)"),
    ("opioids", "Opioids"),
)


def _yes_no(value: bool | None) -> str:
    if value is None:
        return "☐ Yes  ☐ No (not recorded)"
    return "☒ Yes  ☐ No" if value else "☐ Yes  ☒ No"


def _printed(value: Any, *, missing: bool) -> str:
    """A REMS answer as the paper form wants it written (the record's ISO values made
    readable on the clinic's clock; blanks the record lacks marked as missing)."""
    from datetime import date, datetime

    if missing and value in (None, ""):
        return "missing: complete before submitting"
    if isinstance(value, bool) or value is None:
        return _yes_no(value)
    if isinstance(value, dict):
        return f"{value['systolic_mmhg']} / {value['diastolic_mmhg']} mmHg"
    if isinstance(value, str):
        try:
            if "T" in value:
                return present_when(datetime.fromisoformat(value))
            return date.fromisoformat(value).strftime("%m/%d/%Y")
        except ValueError:
            return readable_text(value)
    return str(value)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _printer(request: HttpRequest) -> str:
    return request.user.get_full_name() or request.user.username


@login_required
@staff_page
@requires(Permission.VIEW_TREATMENT)
def rems_form_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's SPRAVATO REMS Patient Monitoring Form, laid out like the paper form
    (audited read of the session and the form; the same access as the HTML form)."""
    form = selectors.access_rems_form(request.user, session_id)
    session = _session(request, session_id, purpose="REMS monitoring form PDF")
    now = timezone.now()
    read = selectors.rems_form_read(form, now)
    answers = read["data"].get("answers", {})
    missing = set(read["data"].get("missing", []))
    shown = {key: _printed(answers.get(key), missing=key in missing) for key in _LABELS}
    taking = set(answers.get("concomitant_medications") or [])
    dose = str(answers.get("dose_mg") or "")
    category = read["data"].get("dose_category")
    dose_boxes = (
        ("☒" if category == "56_mg" else "☐")
        + " 56 mg  "
        + ("☒" if category == "84_mg" else "☐")
        + " 84 mg  "
        + ("☒" if category == "other" else "☐")
        + " Other"
        + (f": {dose} mg" if category not in ("56_mg", "84_mg") and dose else "")
    )
    duration = read["data"].get("treatment_duration_min")
    prescriber = session.prescriber_on_site
    context = {
        "form": read,
        "a": shown,
        "missing": missing,
        "session": session,
        "clinic": session.clinic,
        "medications": [
            {"label": label, "yes_no": _yes_no(code in taking)} for code, label in _MEDICATIONS
        ],
        "dose_boxes": dose_boxes,
        "duration": f"{duration} minutes" if duration is not None else "missing",
        "prescriber": (prescriber.get_full_name() or prescriber.username) if prescriber else "—",
        "adverse_events": list(session.adverse_events.all()),
        "printed_at": now,
        "printed_by": _printer(request),
    }
    pdf = render_pdf("treatment/pdf/rems_form.html", context)
    return _pdf_response(pdf, f"rems-monitoring-form-session-{session.pk}.pdf")


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def controlled_record_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's controlled-substance administration and witnessed-waste record (only
    for those who keep the ledger; audited)."""
    require_permission(request.user, Permission.MANAGE_INVENTORY)
    session = _session(request, session_id, purpose="controlled-substance record PDF")
    entries = ledger_selectors.list_session_ledger(request.user, session)
    prescriber = session.prescriber_on_site
    context = {
        "session": session,
        "patient": session.patient,
        "clinic": session.clinic,
        "dose": selectors.dose_of(session),
        "prescriber": (prescriber.get_full_name() or prescriber.username) if prescriber else "—",
        "administrations": [e for e in entries if e.kind == "administer"],
        "wastes": [e for e in entries if e.kind == "waste"],
        "printed_at": timezone.now(),
        "printed_by": _printer(request),
    }
    pdf = render_pdf("treatment/pdf/controlled_session.html", context)
    return _pdf_response(pdf, f"controlled-substance-record-session-{session.pk}.pdf")


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def controlled_day_pdf(request: HttpRequest) -> HttpResponse:
    """The clinic day's controlled-substance records: administrations, witnessed wastes,
    other movements and the latest counts (``?date=YYYY-MM-DD``, default today; only for
    those who keep the ledger; audited)."""
    from datetime import date, datetime

    require_permission(request.user, Permission.MANAGE_INVENTORY)
    now = timezone.now()
    raw = request.GET.get("date", "")
    try:
        day = date.fromisoformat(raw) if raw else timezone.localtime(now).date()
    except ValueError:
        return HttpResponse("date must be YYYY-MM-DD", status=422, content_type="text/plain")
    since = timezone.make_aware(datetime(day.year, day.month, day.day))
    records = ledger_selectors.list_day_records(
        request.user, since=since, until=since + timedelta(days=1)
    )
    context = {
        "records": records,
        "clinic": request.user.clinic,
        "printed_at": now,
        "printed_by": _printer(request),
    }
    pdf = render_pdf("treatment/pdf/controlled_day.html", context)
    return _pdf_response(pdf, f"controlled-substance-records-{day.isoformat()}.pdf")
