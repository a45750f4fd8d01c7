"""The self-report form, built from the instrument's declared items and response labels
(no item wording beyond the spec's short labels, see ``ketacare.clinical.scales``)."""

from __future__ import annotations

from django import forms

from ketacare.clinical.scales import Instrument


class SelfReportForm(forms.Form):
    def __init__(self, instrument: Instrument, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=item.label.split(": ", 1)[-1].capitalize(),
                choices=[(o.value, o.label) for o in item.options],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose one answer."},
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{item.number}"] for item in self.instrument.items]


class ActivationForm(forms.Form):
    """The patient's first password, typed twice (the service checks its strength)."""

    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return cleaned
