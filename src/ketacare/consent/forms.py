"""Forms of the consent pages: signing the version in force, withdrawing, and publishing a
new version of a route's consent document (clinic admins)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ketacare.consent.models import ConsentRoute
from ketacare.web import fields

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SignForm(forms.Form):
    route = forms.ChoiceField(label="Route", widget=forms.RadioSelect)
    version_id = fields.IntegerField(widget=forms.HiddenInput)
    has_read = forms.BooleanField(
        label="The patient has read this version and their questions were answered",
    )
    typed_name = forms.CharField(
        label="Patient's typed name",
        max_length=200,
        help_text="The patient types their registered name: given name, then family name.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, routes: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = routes


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawal",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the patient's own words. Recorded on the consent and in the "
        "audit trail.",
    )


class ConsentVersionForm(forms.Form):
    route = forms.ChoiceField(label="Route", choices=ConsentRoute.choices)
    title = forms.CharField(
        label="Document title",
        max_length=200,
        help_text="A different title renames the route's document for every version.",
    )
    body = forms.CharField(
        label="Consent text",
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="The full text the patient reads and signs. It cannot be edited once "
        "published; a change is a new version.",
    )
    effective_at = fields.DateTimeField(
        label="Takes effect at",
        widget=DATETIME_WIDGET,
        help_text="Not before the version it supersedes.",
    )
    material_change = forms.BooleanField(
        label="Material change: every patient must re-consent",
        required=False,
        help_text="Tick when this version changes the consent in substance (new risks, "
        "procedures or obligations): once it takes effect, consents to earlier versions no "
        "longer count and treatment on this route needs a new signature. Leave unticked for "
        "wording fixes; existing consents stay valid.",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"effective_at": timezone.localtime().replace(second=0)})
        super().__init__(*args, **kwargs)
