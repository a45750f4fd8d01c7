from django import forms

from ketacare.clinical.plausibility import LIMITS
from ketacare.patients.models import Sex
from ketacare.web import fields


class PatientForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    date_of_birth = fields.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=Sex.choices)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    address = forms.CharField(max_length=300, required=False)
    emergency_contact = forms.CharField(max_length=200, required=False)
    current_episode_onset = fields.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Start of the current depressive episode (drives treatment-resistance staging).",
    )


class WeightForm(forms.Form):
    weight_kg = fields.DecimalField(
        min_value=LIMITS["weight_kg"].low,
        max_value=LIMITS["weight_kg"].high,
        decimal_places=1,
        max_digits=5,
    )
    measured_at = fields.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
