"""Clinic admin pages: the protocol library (every version with its dose rule, limits,
schedule and observation minutes), publishing a new version of a protocol, and the clinic
policy. Only clinic admins (``MANAGE_PROTOCOLS``); the same services as the API validate
with the core, and refusals are shown next to the field they name."""

from __future__ import annotations

from typing import Any

import pydantic
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketacare.access import NotFound
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.clinical.dosing.protocols import Route
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.protocols import selectors, services
from ketacare.protocols.forms import ClinicPolicyForm, ProtocolVersionForm
from ketacare.protocols.mappers import OBSERVATION_KEYS, outcome_values
from ketacare.protocols.models import ProtocolVersion
from ketacare.protocols.schemas import ClinicPolicyCreate
from ketacare.web.pages import apply_clinical_error, requires, staff_page


def _observation(row: ProtocolVersion, policy: dict[str, Any] | None) -> tuple[Any, str]:
    """Observation minutes and where they come from (the protocol or the clinic policy)."""
    minutes = row.parameters.get("observation_min")
    if minutes:
        return minutes, "protocol"
    key = OBSERVATION_KEYS.get(Route(row.route))
    if key and policy and policy.get(key):
        return policy[key], "clinic policy"
    return None, "not set"


@login_required
@staff_page
@requires(Permission.MANAGE_PROTOCOLS)
def library(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, Permission.MANAGE_PROTOCOLS)
    rows = selectors.get_protocols(request.user, include_inactive=True)
    policy = selectors.get_clinic_policy_values(request.user.clinic_id)
    protocols: dict[str, dict[str, Any]] = {}
    for row in rows:  # ordered by code, newest version first
        entry = protocols.setdefault(row.code, {"current": None, "earlier": []})
        if row.active:
            minutes, origin = _observation(row, policy)
            entry["current"] = {
                "row": row,
                "p": row.parameters,
                "drug": row.drug.replace("_", " ").capitalize(),
                "obs": minutes,
                "obs_from": origin,
            }
        else:
            entry["earlier"].append(row)
    return render(request, "protocols/library.html", {"protocols": protocols.values()})


@login_required
@staff_page
@requires(Permission.MANAGE_PROTOCOLS)
def new_version(request: HttpRequest, code: str) -> HttpResponse:
    require_permission(request.user, Permission.MANAGE_PROTOCOLS)
    current = next((r for r in selectors.get_protocols(request.user) if r.code == code), None)
    if current is None:
        raise NotFound("protocol")
    base = current.parameters
    form = ProtocolVersionForm(
        request.POST or None,
        initial=ProtocolVersionForm.initial_from(base),
        kind=base["dose_rule"]["kind"],
        infused=base.get("infusion_duration_min") is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            row = services.record_protocol_version(
                actor=request.user, data=form.parameters(base), reason=form.cleaned_data["reason"]
            )
        except InvalidClinicalInput as exc:
            apply_clinical_error(form, exc)
        else:
            messages.success(request, f"{row.name} version {row.version} published.")
            return redirect("protocols:library")
    return render(request, "protocols/new_version.html", {"form": form, "current": current})


@login_required
@staff_page
@requires(Permission.MANAGE_PROTOCOLS)
def clinic_policy(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, Permission.MANAGE_PROTOCOLS)
    current = selectors.get_clinic_policy(request.user)
    initial = {**current.values, **outcome_values(current)} if current else None
    form = ClinicPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        reason = values.pop("reason")
        try:
            # The API's schema: the same bounds for the page as for integrators.
            checked = ClinicPolicyCreate(**values, reason=reason).model_dump(exclude={"reason"})
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else None
                form.add_error(name if name in form.fields else None, error["msg"])
        else:
            try:
                services.record_clinic_policy(actor=request.user, values=checked, reason=reason)
            except InvalidClinicalInput as exc:
                apply_clinical_error(form, exc)
            else:
                messages.success(request, "Clinic policy saved.")
                return redirect("protocols:clinic_policy")
    return render(request, "protocols/clinic_policy.html", {"form": form, "current": current})
