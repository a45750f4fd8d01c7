from django import forms

from ketacare.patients.models import Sex


class PatientForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=Sex.choices)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    address = forms.CharField(max_length=300, required=False)
    emergency_contact = forms.CharField(max_length=200, required=False)
    current_episode_onset = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Start of the current depressive episode (drives treatment-resistance staging).",
    )


class WeightForm(forms.Form):
    weight_kg = forms.DecimalField(min_value=20, max_value=400, decimal_places=1, max_digits=5)
    measured_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
