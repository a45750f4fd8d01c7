"""Inventory pages: balances with expiry and the inventory and discrepancy alerts, the ledger,
and the forms to receive stock, waste drawn drug with a witness, count, and classify or close
a discrepancy. The same services and selectors as /api/v1/inventory: invalid input is shown
next to its field (422), a refusal renders the shared blockers component with the API's codes
(409), and neither writes anything.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission, require_permission
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.controlled_substances import selectors, services
from ketacare.controlled_substances.forms import (
    ClassifyForm,
    CloseForm,
    CountForm,
    LedgerFilterForm,
    ReceiveForm,
    WasteForm,
)
from ketacare.web.pages import apply_clinical_error, requires, staff_page

# How far ahead the inventory page flags a lot as expiring soon: a display choice for
# ordering and rotation (no regulation sets it), not a clinical rule.
EXPIRING_SOON_DAYS = 90
LEDGER_PAGE_SIZE = 50

# Service errors that name no field but belong to one on these forms.
_FIELD_FOR_CODE = {
    "date_in_future": "as_of",
    "invalid_quantity": "quantity_ml",
    "esketamine_whole_devices": "quantity_ml",
    "device_volume_mismatch": "size_ml",
    "device_count_required": "device_count",
    "device_count_not_applicable": "device_count",
    "invalid_concentration": "concentration_mg_per_ml",
    "unknown_classification": "classification",
    "classification_notes_required": "notes",
    "closing_notes_required": "closing_notes",
}


def _field_error(form, exc: InvalidClinicalInput) -> None:
    field = _FIELD_FOR_CODE.get(exc.code)
    details = exc.details if isinstance(exc.details, dict) else {}
    if field and "field" not in details and field in form.fields:
        form.add_error(field, exc.message)
    else:
        apply_clinical_error(form, exc)


def _blockers(exc: GateBlocked) -> list[dict[str, Any]]:
    return [b.as_dict() for b in exc.decision.blockers]


def _submit(request: HttpRequest, form, template: str, context: dict[str, Any], action):
    """Run ``action(form)`` for a valid POST; re-render with field errors (422) or the
    blockers (409) when it is refused. Returns the action's result or the page."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return action(form)
            except InvalidClinicalInput as exc:
                _field_error(form, exc)
                status = 422
            except GateBlocked as exc:
                context["blockers"] = _blockers(exc)
                status = 409
        else:
            status = 422
    return render(request, template, {**context, "form": form}, status=status)


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def inventory(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    balances = selectors.list_balances(request.user, as_of=now)
    rows = [
        {
            "row": b,
            "days_to_expiry": (b.container.expires_on - today).days,
            "expiring_soon": not b.expired
            and (b.container.expires_on - today).days <= EXPIRING_SOON_DAYS,
        }
        for b in balances
    ]
    context = {
        "rows": rows,
        "status": selectors.inventory_status(request.user, as_of=now),
        "discrepancies": selectors.list_discrepancies(request.user),
        "expiring_soon_days": EXPIRING_SOON_DAYS,
        "can_waste": has_permission(request.user, Permission.WITNESS_WASTE),
    }
    return render(request, "controlled_substances/inventory.html", context)


def _day_bound(day, end: bool) -> datetime:
    when = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(when)


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def ledger(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, Permission.MANAGE_INVENTORY)
    filters = {k: v for k, v in request.GET.items() if k != "page"}
    form = LedgerFilterForm(filters or None)
    try:
        page = max(0, min(int(request.GET.get("page", "0")), 100_000))
    except ValueError:
        page = 0
    entries: list = []
    total = 0
    status = 200
    if form.is_bound and not form.is_valid():
        status = 422
    else:
        data = form.cleaned_data if form.is_bound else {}
        entries, total = selectors.list_ledger(
            request.user,
            container_id=data.get("container_id"),
            kind=data.get("kind") or None,
            since=_day_bound(data["since"], False) if data.get("since") else None,
            until=_day_bound(data["until"], True) if data.get("until") else None,
            limit=LEDGER_PAGE_SIZE,
            offset=page * LEDGER_PAGE_SIZE,
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "entries": entries,
        "total": total,
        "page": page,
        "has_previous": page > 0,
        "has_next": (page + 1) * LEDGER_PAGE_SIZE < total,
        "query": query.urlencode(),
    }
    template = (
        "controlled_substances/ledger.html#entries"
        if request.htmx
        else "controlled_substances/ledger.html"
    )
    return render(request, template, context, status=status)


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def receive(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, Permission.MANAGE_INVENTORY)

    def action(form):
        containers = services.receive_stock(actor=request.user, **form.cleaned_data)
        messages.success(request, f"{len(containers)} container(s) received.")
        return redirect("controlled_substances:inventory")

    form = ReceiveForm(request.POST or None)
    return _submit(request, form, "controlled_substances/receive.html", {}, action)


@login_required
@staff_page
@requires(Permission.WITNESS_WASTE)
def waste(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, Permission.WITNESS_WASTE)
    drawn = [b for b in selectors.list_balances(request.user) if b.drawn_ml > 0]
    form = WasteForm(
        request.POST or None,
        containers=drawn,
        witnesses=selectors.list_witnesses(request.user),
    )

    def action(form):
        services.witness_waste(actor=request.user, **form.cleaned_data)
        messages.success(request, "Waste recorded with its witness.")
        return redirect("controlled_substances:inventory")

    return _submit(request, form, "controlled_substances/waste.html", {"drawn": drawn}, action)


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def count(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, Permission.MANAGE_INVENTORY)
    balances = selectors.list_balances(request.user)
    form = CountForm(
        request.POST or None,
        containers=balances,
        witnesses=selectors.list_witnesses(request.user, Permission.MANAGE_INVENTORY),
    )

    def action(form):
        data = form.cleaned_data
        recorded = services.record_inventory_count(
            actor=request.user,
            business_time=data["business_time"],
            complete=data["complete"],
            lines=form.lines(),
            witness_id=data["witness_id"],
            notes=data["notes"],
        )
        opened = recorded.lines.filter(discrepancy__isnull=False).count()
        messages.success(
            request,
            f"Count recorded; {opened} discrepancy(ies) opened."
            if opened
            else "Count recorded; every line matched the ledger.",
        )
        return redirect("controlled_substances:inventory")

    rows = [
        {
            "row": b,
            "counted": form[f"counted_{b.container.pk}"],
            "estimated": form[f"estimated_{b.container.pk}"],
        }
        for b in balances
    ]
    head = [form[name] for name in ("business_time", "complete", "witness_id", "notes")]
    context = {"rows": rows, "head_fields": head}
    return _submit(request, form, "controlled_substances/count.html", context, action)


@login_required
@staff_page
@requires(Permission.MANAGE_INVENTORY)
def discrepancy(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    found = selectors.access_discrepancy(request.user, discrepancy_id)
    which = request.POST.get("action") if request.method == "POST" else None
    classify_form = ClassifyForm(
        request.POST if which == "classify" else None,
        initial={"classification": found.classification, "notes": found.investigation_notes},
    )
    close_form = CloseForm(request.POST if which == "close" else None)
    context: dict[str, Any] = {
        "discrepancy": found,
        "classify_form": classify_form,
        "close_form": close_form,
        "deadline_passed": {
            "notice": timezone.localdate() > found.written_notice_due_on,
            "form_106": timezone.localdate() > found.form_106_due_on,
        },
    }

    def classify(form) -> HttpResponse:
        services.classify_discrepancy(
            actor=request.user, discrepancy_id=found.pk, **form.cleaned_data
        )
        messages.success(request, "Classification recorded.")
        return redirect("controlled_substances:discrepancy", discrepancy_id=found.pk)

    def close(form) -> HttpResponse:
        services.close_discrepancy(actor=request.user, discrepancy_id=found.pk, **form.cleaned_data)
        messages.success(request, "Discrepancy closed.")
        return redirect("controlled_substances:discrepancy", discrepancy_id=found.pk)

    template = "controlled_substances/discrepancy.html"
    if which == "classify":
        return _submit(request, classify_form, template, context, classify)
    if which == "close":
        return _submit(request, close_form, template, context, close)
    return render(request, template, context)
