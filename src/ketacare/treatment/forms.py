"""Forms of the chair-side pages. Input-sanity bounds only (the same as the API's schemas);
every clinical judgement is the services' and the core's. Times typed as a time of day
(``HH:MM``) are on the clinic's calendar day of the page; blank means now."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone

from ketacare.clinical.plausibility import LIMITS
from ketacare.clinical.scales.cadss import CADSS_ITEM_COUNT, CADSS_ITEM_MAX, CADSS_ITEM_MIN
from ketacare.clinical.scales.moaas import MOAAS
from ketacare.clinical.session.monitoring import AdverseEventSeverity, AdverseEventType
from ketacare.web import fields

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def on_clinic_day(value: time | None, now: datetime) -> datetime:
    """A time of day typed on a page, on ``now``'s clinic calendar day (blank: ``now``)."""
    if value is None:
        return now
    local = timezone.localtime(now)
    return local.replace(hour=value.hour, minute=value.minute, second=0, microsecond=0)


class _Form(forms.Form):
    """Each form's element ids carry its name, so several forms share one page without
    clashing ids (labels stay tied to their fields)."""

    id_prefix = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


def _whole(quantity: str) -> tuple[int, int]:
    limits = LIMITS[quantity]
    return (
        int(limits.low) + (1 if limits.open_low else 0),
        int(limits.high) - (1 if limits.open_high else 0),
    )


def _number(label: str, low: int, high: int, **attrs) -> fields.IntegerField:
    return fields.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        # The tablet's number pad: inputmode and a digits-only pattern (iOS needs both).
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", **attrs}),
    )


def _decimal() -> forms.NumberInput:
    """A decimal value on the tablet's keypad with a decimal point."""
    return forms.NumberInput(attrs={"inputmode": "decimal", "pattern": "[0-9]*[.,]?[0-9]*"})


class CheckInForm(_Form):
    id_prefix = "checkin"
    phq9_item9_positive_today = forms.BooleanField(
        required=False, label="PHQ-9 item 9 positive today (thoughts of self-harm)"
    )
    cssrs_high_risk_today = forms.BooleanField(
        required=False, label="C-SSRS screen high risk today"
    )


class VitalsForm(_Form):
    id_prefix = "vitals"
    # The core's cited plausibility limits (whole numbers inside them).
    systolic_mmhg = _number("Systolic BP (mmHg)", *_whole("systolic_mmhg"))
    diastolic_mmhg = _number("Diastolic BP (mmHg)", *_whole("diastolic_mmhg"))
    heart_rate_bpm = _number("Heart rate (/min)", *_whole("heart_rate_bpm"))
    spo2_percent = _number("SpO2 (%)", *_whole("spo2_percent"))
    respiratory_rate_per_min = _number(
        "Respiratory rate (/min)", *_whole("respiratory_rate_per_min")
    )
    taken_at = fields.TimeField(
        required=False, label="Taken at (blank: now)", widget=_TIME, input_formats=["%H:%M"]
    )


class ClearForm(_Form):
    id_prefix = "clear"
    npo_confirmed = forms.BooleanField(
        required=False, label="Fasting (NPO) confirmed with the patient"
    )
    last_food_at = fields.DateTimeField(required=False, label="Last food", widget=_DATETIME)
    last_liquids_at = fields.DateTimeField(required=False, label="Last liquids", widget=_DATETIME)
    ride_home = forms.CharField(
        required=False, max_length=200, label="Ride home (who drives the patient)"
    )
    safety_assessment = forms.CharField(
        required=False,
        max_length=4000,
        label="Same-day safety assessment (when today's screen was positive)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DoseForm(_Form):
    id_prefix = "dose"
    lot_number = forms.CharField(max_length=40, label="Lot number")
    dose_mg = fields.DecimalField(
        required=False,
        min_value=0.01,
        max_value=1000,
        decimal_places=2,
        label="Dose (mg)",
        widget=_decimal(),
    )
    mg_per_kg = fields.DecimalField(
        required=False,
        min_value=0.0001,
        max_value=10,
        decimal_places=4,
        label="Dose rate (mg/kg; blank: the course's)",
        widget=_decimal(),
    )
    vial_concentration_mg_per_ml = fields.DecimalField(
        required=False,
        min_value=0.01,
        max_value=1000,
        decimal_places=2,
        label="Vial concentration (mg/mL)",
        widget=_decimal(),
    )
    started_at = fields.TimeField(
        required=False, label="Started at (blank: now)", widget=_TIME, input_formats=["%H:%M"]
    )
    device_1 = fields.TimeField(
        required=False, label="Device 1 at", widget=_TIME, input_formats=["%H:%M"]
    )
    device_2 = fields.TimeField(
        required=False, label="Device 2 at", widget=_TIME, input_formats=["%H:%M"]
    )
    device_3 = fields.TimeField(
        required=False, label="Device 3 at", widget=_TIME, input_formats=["%H:%M"]
    )
    infusion_duration_min = fields.IntegerField(
        required=False,
        min_value=1,
        max_value=600,
        label="Infusion duration (min)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}),
    )
    prescriber_on_site = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Prescriber on site"
    )
    pulse_oximeter_available = forms.BooleanField(
        required=False, label="Pulse oximeter on the patient"
    )

    def __init__(self, *args, prescribers=(), esketamine: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber_on_site"].choices = [("", "Me (if I am a prescriber)")] + [
            (p.pk, p.get_full_name() or p.username) for p in prescribers
        ]
        drop = (
            ("mg_per_kg", "vial_concentration_mg_per_ml", "started_at", "infusion_duration_min")
            if esketamine
            else ("device_1", "device_2", "device_3", "dose_mg")
        )
        for name in drop:
            del self.fields[name]

    def device_times(self, now: datetime) -> list[datetime]:
        return [
            on_clinic_day(self.cleaned_data[name], now)
            for name in ("device_1", "device_2", "device_3")
            if self.cleaned_data.get(name) is not None
        ]


class MoaasForm(_Form):
    id_prefix = "moaas"
    rating = forms.TypedChoiceField(
        coerce=int,
        label="MOAA/S rating",
        empty_value=None,
        # No preselected rating: a forgotten field must not record a sedation level.
        choices=[("", "Choose a rating")]
        + [(o.value, f"{o.value}: {o.label}") for o in MOAAS.items[0].options],
    )
    observed_at = fields.TimeField(
        required=False, label="Rated at (blank: now)", widget=_TIME, input_formats=["%H:%M"]
    )


class CadssForm(_Form):
    """CADSS: the clinic enters each item's rating (item wording is not shipped)."""

    id_prefix = "cadss"

    observed_at = fields.TimeField(
        required=False, label="Rated at (blank: now)", widget=_TIME, input_formats=["%H:%M"]
    )
    dissociation_resolved = forms.BooleanField(
        required=False, label="Clinician judges dissociation resolved"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(v, str(v)) for v in range(CADSS_ITEM_MIN, CADSS_ITEM_MAX + 1)]
        for n in range(1, CADSS_ITEM_COUNT + 1):
            self.fields[f"item_{n}"] = forms.TypedChoiceField(
                coerce=int, label=f"Item {n}", choices=choices, initial=CADSS_ITEM_MIN
            )

    def items(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, CADSS_ITEM_COUNT + 1)]


class AdverseEventForm(_Form):
    id_prefix = "ae"
    event_type = forms.ChoiceField(
        label="Event",
        choices=[("", "Choose the event")]
        + [(t.value, t.value.replace("_", " ")) for t in AdverseEventType],
    )
    severity = forms.ChoiceField(
        label="Severity (CTCAE grade)",
        choices=[("", "Choose the severity")]
        + [
            (s.value, f"{s.value.replace('_', ' ')} (grade {s.ctcae_grade})")
            for s in AdverseEventSeverity
        ],
    )
    onset_at = fields.TimeField(
        required=False, label="Onset at (blank: now)", widget=_TIME, input_formats=["%H:%M"]
    )
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    action_taken = forms.CharField(max_length=2000, label="Action taken")
    outcome = forms.CharField(max_length=200)


class DischargeForm(_Form):
    id_prefix = "discharge"
    clinician_ready = forms.BooleanField(
        required=False, label="I judge the patient clinically ready to leave"
    )
    ready_to_leave_without_minimum_min = fields.IntegerField(
        required=False,
        min_value=0,
        max_value=1440,
        label="Minutes after dosing the patient was ready (REMS form; optional)",
    )


class CancelForm(_Form):
    id_prefix = "cancel"
    reason = forms.CharField(
        max_length=2000, label="Reason", widget=forms.Textarea(attrs={"rows": 2})
    )


class OverrideForm(_Form):
    id_prefix = "override"
    codes = forms.MultipleChoiceField(choices=())  # set from the submitted codes
    reason = forms.CharField(max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        submitted = self.data.getlist("codes") if hasattr(self.data, "getlist") else []
        self.fields["codes"].choices = [(c[:60], c[:60]) for c in submitted[:20]]


class CourseForm(_Form):
    id_prefix = "course"
    protocol_code = forms.ChoiceField(label="Protocol")
    start_at = fields.DateTimeField(label="First session", widget=_DATETIME)
    sessions = fields.IntegerField(
        required=False, min_value=1, max_value=200, label="Sessions (blank: the protocol's)"
    )
    sessions_per_week = fields.IntegerField(
        required=False, min_value=1, max_value=7, label="Sessions per week (blank: the most)"
    )
    open_phase_every_weeks = forms.TypedChoiceField(
        coerce=int,
        initial=1,
        label="Open-ended phase",
        choices=[(1, "Weekly"), (2, "Every 2 weeks")],
    )
    mg_per_kg = fields.DecimalField(
        required=False,
        min_value=0.0001,
        max_value=10,
        decimal_places=4,
        label="Dose rate (mg/kg; weight-based protocols)",
    )
    dose_mg = fields.DecimalField(
        required=False,
        min_value=0.01,
        max_value=1000,
        decimal_places=2,
        label="First-session dose (mg; fixed-dose protocols)",
    )
    vial_concentration_mg_per_ml = fields.DecimalField(
        required=False,
        min_value=0.01,
        max_value=1000,
        decimal_places=2,
        label="Vial concentration for the preview (mg/mL; not stored)",
    )
    chair = forms.CharField(required=False, max_length=40)
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Override the blockers above with a documented clinical reason (prescriber)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, protocols=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol_code"].choices = [
            (p.code, f"{p.name} (v{p.version})") for p in protocols
        ]
