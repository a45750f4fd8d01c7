from django import forms
from oauth2_provider.forms import AllowForm

from ketacare.web import fields


class SmartAllowForm(AllowForm):
    """The toolkit's consent form plus SMART's launch parameters (checked again on POST:
    hidden fields can be edited) and, for a standalone launch by staff, the patient chosen."""

    aud = forms.CharField(required=False, widget=forms.HiddenInput())
    launch = forms.CharField(required=False, widget=forms.HiddenInput())
    patient = fields.IntegerField(required=False, min_value=1, label="Patient")
