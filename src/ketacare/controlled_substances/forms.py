"""Forms of the inventory pages. Field names are the services' keyword names, so an error a
service raises for a field (``details.field``) lands next to that field. The forms check shape
only (required, ranges); every rule is the service's and the core's."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator

from ketacare.controlled_substances.models import (
    BusinessTime,
    DiscrepancyClassification,
    Drug,
    EntryKind,
)
from ketacare.web import fields

_DATE = forms.DateInput(attrs={"type": "date"})
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _ml(**kwargs) -> fields.DecimalField:
    return fields.DecimalField(
        min_value=Decimal("0.001"), max_value=1000, max_digits=7, decimal_places=3, **kwargs
    )


class ReceiveForm(forms.Form):
    drug = forms.ChoiceField(choices=Drug.choices)
    concentration_mg_per_ml = fields.DecimalField(
        label="Concentration (mg/mL)",
        min_value=Decimal("0.01"),
        max_value=1000,
        max_digits=7,
        decimal_places=2,
    )
    description = forms.CharField(max_length=120, help_text='e.g. "10 mL multi-dose vial"')
    size_ml = _ml(label="Container size (mL)")
    device_count = fields.IntegerField(
        required=False,
        min_value=1,
        max_value=50,
        help_text="Esketamine kits only: devices of 28 mg each.",
    )
    container_count = fields.IntegerField(
        label="Number of containers", min_value=1, max_value=200, initial=1
    )
    lot = forms.CharField(max_length=40)
    expires_on = fields.DateField(widget=_DATE)
    ndc = forms.CharField(
        label="NDC",
        max_length=14,
        required=False,
        validators=[RegexValidator(r"^[0-9-]*$", "Digits and hyphens only.")],
    )
    supplier_name = forms.CharField(max_length=200)
    supplier_address = forms.CharField(max_length=300)
    supplier_dea_number = forms.CharField(
        label="Supplier DEA number",
        min_length=9,
        max_length=9,
        help_text="Two letters and seven digits; the check digit is verified.",
    )
    as_of = fields.DateTimeField(
        label="Received at", required=False, widget=_DATETIME, help_text="Blank: now."
    )


class WasteForm(forms.Form):
    """The witness stands at the same tablet and types their own password."""

    container_id = forms.TypedChoiceField(label="Container", coerce=int)
    quantity_ml = _ml(label="Quantity wasted (mL)")
    witness_id = forms.TypedChoiceField(label="Witness", coerce=int)
    witness_password = forms.CharField(
        label="Witness: type your own password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    witness_otp = forms.CharField(
        label="Witness: one-time code from your app",
        required=False,
        max_length=64,
        help_text="Needed when you have not entered a code in the last few minutes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    reason = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, containers=(), witnesses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["container_id"].choices = [("", "Choose a container")] + [
            (
                row.container.pk,
                f"#{row.container.pk} {row.container} ({row.drawn_ml} mL drawn up)",
            )
            for row in containers
        ]
        self.fields["witness_id"].choices = [("", "Choose the witness")] + [
            (u.pk, f"{u.get_full_name() or u.username} ({u.get_role_display()})") for u in witnesses
        ]


class CountForm(forms.Form):
    """One counted amount per container (blank: not counted in a spot count)."""

    business_time = forms.ChoiceField(choices=BusinessTime.choices)
    complete = forms.BooleanField(
        label="Complete inventory (every container with drug left)", required=False
    )
    witness_id = forms.TypedChoiceField(
        label="Witness (optional)", coerce=int, required=False, empty_value=None
    )
    notes = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, containers=(), witnesses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witness_id"].choices = [("", "No witness")] + [
            (u.pk, f"{u.get_full_name() or u.username} ({u.get_role_display()})") for u in witnesses
        ]
        self.containers = list(containers)
        for row in self.containers:
            pk = row.container.pk
            self.fields[f"counted_{pk}"] = fields.DecimalField(
                label=f"#{pk} {row.container} counted (mL)",
                required=False,
                min_value=0,
                max_value=1000,
                max_digits=7,
                decimal_places=3,
            )
            self.fields[f"estimated_{pk}"] = forms.BooleanField(
                label=f"#{pk} estimated (opened container)", required=False
            )

    def lines(self) -> list[dict]:
        return [
            {
                "container_id": row.container.pk,
                "counted_ml": self.cleaned_data[f"counted_{row.container.pk}"],
                "estimated": self.cleaned_data[f"estimated_{row.container.pk}"],
            }
            for row in self.containers
            if self.cleaned_data.get(f"counted_{row.container.pk}") is not None
        ]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.lines():
            raise forms.ValidationError("Enter the counted amount of at least one container.")
        return cleaned


class ClassifyForm(forms.Form):
    classification = forms.ChoiceField(choices=DiscrepancyClassification.choices)
    notes = forms.CharField(
        label="Investigation notes", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    closing_notes = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    dea_notice_sent_on = fields.DateField(
        label="Written DEA notice sent on", required=False, widget=_DATE
    )
    form_106_filed_on = fields.DateField(
        label="DEA Form 106 filed on", required=False, widget=_DATE
    )


class LedgerFilterForm(forms.Form):
    container_id = fields.IntegerField(label="Container #", required=False, min_value=1)
    kind = forms.ChoiceField(choices=[("", "All movements"), *EntryKind.choices], required=False)
    since = fields.DateField(label="From", required=False, widget=_DATE)
    until = fields.DateField(label="To", required=False, widget=_DATE)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return cleaned
