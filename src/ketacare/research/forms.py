from __future__ import annotations

from django import forms

from ketacare.clinical.dosing.protocols import Route
from ketacare.clinical.plausibility import MAX_PLAUSIBLE_AGE_YEARS
from ketacare.research.cohorts import PHQ9_BANDS, Cohort
from ketacare.web import fields

TRD_CHOICES = [("", "Any"), ("yes", "Treatment-resistant"), ("no", "Not treatment-resistant")]


class CohortForm(forms.Form):
    protocol_codes = forms.CharField(
        required=False, max_length=300, help_text="Comma-separated protocol codes; blank: all"
    )
    route = forms.ChoiceField(
        required=False, choices=[("", "Any"), *[(r.value, r.value.upper()) for r in Route]]
    )
    first_dose_from = fields.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    first_dose_to = fields.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    age_min = fields.IntegerField(required=False, min_value=0, max_value=MAX_PLAUSIBLE_AGE_YEARS)
    age_max = fields.IntegerField(required=False, min_value=0, max_value=MAX_PLAUSIBLE_AGE_YEARS)
    baseline_severity = forms.MultipleChoiceField(
        required=False,
        choices=[(b, b.replace("_", " ").capitalize()) for b in PHQ9_BANDS],
        widget=forms.CheckboxSelectMultiple,
        label="Baseline PHQ-9 band",
    )
    treatment_resistant = forms.ChoiceField(required=False, choices=TRD_CHOICES, label="TRD")

    def clean_protocol_codes(self) -> tuple[str, ...]:
        raw = self.cleaned_data["protocol_codes"]
        codes = tuple(c.strip() for c in raw.split(",") if c.strip())
        for code in codes:
            if not code.replace("_", "").isalnum() or not code.islower():
                raise forms.ValidationError("Protocol codes are lower-case letters, digits and _.")
        return codes

    def cohort(self) -> Cohort:
        d = self.cleaned_data
        trd = {"yes": True, "no": False}.get(d.get("treatment_resistant") or "")
        return Cohort(
            protocol_codes=d.get("protocol_codes") or (),
            route=d.get("route") or None,
            first_dose_from=d.get("first_dose_from"),
            first_dose_to=d.get("first_dose_to"),
            age_min=d.get("age_min"),
            age_max=d.get("age_max"),
            baseline_severity=tuple(d.get("baseline_severity") or ()),
            treatment_resistant=trd,
        )
